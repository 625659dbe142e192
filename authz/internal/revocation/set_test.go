package revocation_test

import (
	"encoding/json"
	"testing"
	"time"

	"eco2/authz/internal/revocation"
	"eco2/authz/internal/testkit"
)

func TestRevokedByJTIOrSID(t *testing.T) {
	s := revocation.NewSet()
	exp := time.Now().Add(time.Hour).Unix()
	s.Add(revocation.Entry{Kind: revocation.KindJTI, Value: "j1", Exp: exp})
	s.Add(revocation.Entry{Kind: revocation.KindSID, Value: "s1", Exp: exp})
	for _, c := range []struct {
		jti, sid string
		want     bool
	}{
		{"j1", "other", true},
		{"other", "s1", true},
		{"s1", "j1", false}, // kinds are separate namespaces
		{"other", "other", false},
	} {
		if got := s.Revoked(c.jti, c.sid); got != c.want {
			t.Errorf("Revoked(%q, %q) = %v, want %v", c.jti, c.sid, got, c.want)
		}
	}
	if s.Len() != 2 {
		t.Fatalf("len = %d", s.Len())
	}
}

// Expired entries are pruned, but only once past exp + retention (the verifier's leeway): a
// token is accepted until exp + leeway, so its revocation must be kept as long.
func TestPruneExpired(t *testing.T) {
	clock := testkit.NewClock(time.Unix(1_800_000_000, 0))
	s := revocation.NewSet(revocation.WithSetClock(clock.Now), revocation.WithRetention(30*time.Second))
	now := clock.Now().Unix()
	s.Merge([]revocation.Entry{
		{Kind: revocation.KindJTI, Value: "long-gone", Exp: now - 3600},
		{Kind: revocation.KindSID, Value: "just-past-retention", Exp: now - 31},
		{Kind: revocation.KindJTI, Value: "inside-leeway", Exp: now - 29},
		{Kind: revocation.KindSID, Value: "live", Exp: now + 600},
	})
	if n := s.Prune(); n != 2 {
		t.Fatalf("pruned %d, want 2", n)
	}
	if s.Revoked("long-gone", "just-past-retention") {
		t.Fatal("expired entries still present")
	}
	if !s.Revoked("inside-leeway", "") || !s.Revoked("", "live") {
		t.Fatal("live entries pruned")
	}
	if s.Len() != 2 {
		t.Fatalf("len = %d", s.Len())
	}
	if got := s.MinScore(); got != now-30 {
		t.Fatalf("MinScore = %d, want now-30", got)
	}
}

func TestAddKeepsLaterExp(t *testing.T) {
	clock := testkit.NewClock(time.Unix(1_800_000_000, 0))
	s := revocation.NewSet(revocation.WithSetClock(clock.Now), revocation.WithRetention(0))
	now := clock.Now().Unix()
	s.Add(revocation.Entry{Kind: revocation.KindSID, Value: "s", Exp: now + 100})
	s.Add(revocation.Entry{Kind: revocation.KindSID, Value: "s", Exp: now + 10}) // older message arriving late
	clock.Advance(50 * time.Second)
	s.Prune()
	if !s.Revoked("", "s") {
		t.Fatal("a later exp was overwritten by an earlier one")
	}
}

func TestFreshness(t *testing.T) {
	clock := testkit.NewClock(time.Unix(1_800_000_000, 0))
	s := revocation.NewSet(revocation.WithSetClock(clock.Now), revocation.WithStaleAfter(30*time.Second))
	if s.Fresh(clock.Now()) || s.Bootstrapped() {
		t.Fatal("fresh before any sync")
	}
	if s.Age(clock.Now()) != -1 || s.Lag(clock.Now()) != -1 {
		t.Fatal("age/lag before any sync")
	}
	s.MarkSynced(clock.Now())
	clock.Advance(30 * time.Second)
	if !s.Fresh(clock.Now()) {
		t.Fatal("stale at exactly stale_after")
	}
	clock.Advance(time.Millisecond)
	if s.Fresh(clock.Now()) {
		t.Fatal("fresh beyond stale_after")
	}
	s.MarkLive(clock.Now())
	if !s.Fresh(clock.Now()) {
		t.Fatal("live feed proof did not refresh the state")
	}
	if lag := s.Lag(clock.Now()); lag != 30*time.Second+time.Millisecond {
		t.Fatalf("lag = %s (a ping is not an update)", lag)
	}
	s.MarkSynced(clock.Now().Add(-time.Hour)) // an old sync never moves freshness back
	if !s.Fresh(clock.Now()) {
		t.Fatal("freshness went backwards")
	}
}

func TestEntryJSON(t *testing.T) {
	var e revocation.Entry
	if err := json.Unmarshal([]byte(`{"kind":"sid","value":"abc","exp":1800000000.0}`), &e); err != nil {
		t.Fatal(err)
	}
	if e.Kind != revocation.KindSID || e.Value != "abc" || e.Exp != 1800000000 || e.Member() != "sid:abc" {
		t.Fatalf("entry = %+v", e)
	}
	for _, bad := range []string{`{"kind":"user","value":"a","exp":1}`, `{"kind":"jti","value":"","exp":1}`, `[]`, `{"kind":"jti","value":"a","exp":"x"}`} {
		if err := json.Unmarshal([]byte(bad), &e); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
