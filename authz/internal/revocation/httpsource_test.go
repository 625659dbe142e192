package revocation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"eco2/authz/internal/revocation"
	"eco2/authz/internal/testkit"
)

// mesh imitates the local mesh's revocation endpoints of the embedded mode.
type mesh struct {
	mu        sync.Mutex
	entries   []revocation.Entry
	streams   map[chan revocation.Entry]struct{}
	down      atomic.Bool
	snapshots atomic.Int64
	keepalive time.Duration
	srv       *httptest.Server
}

func newMesh(t *testing.T, keepalive time.Duration) *mesh {
	m := &mesh{streams: map[chan revocation.Entry]struct{}{}, keepalive: keepalive}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+revocation.DefaultSnapshotPath, func(w http.ResponseWriter, r *http.Request) {
		if m.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		m.snapshots.Add(1)
		m.mu.Lock()
		doc, _ := json.Marshal(map[string]any{"revoked": m.entries, "as_of": time.Now().Unix()})
		m.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
	mux.HandleFunc("GET "+revocation.DefaultSnapshotPath+"/stream", func(w http.ResponseWriter, r *http.Request) {
		if m.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		ch := make(chan revocation.Entry, 16)
		m.mu.Lock()
		m.streams[ch] = struct{}{}
		m.mu.Unlock()
		defer func() {
			m.mu.Lock()
			delete(m.streams, ch)
			m.mu.Unlock()
		}()
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fl := w.(http.Flusher)
		_, _ = fmt.Fprint(w, ": connected\n\n")
		fl.Flush()
		tick := time.NewTicker(m.keepalive)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				if m.down.Load() {
					return
				}
				_, _ = fmt.Fprint(w, ": keepalive\n\n")
			case e := <-ch:
				b, _ := json.Marshal(e)
				_, _ = fmt.Fprintf(w, "event: revoked\ndata: %s\n\n", b)
			}
			fl.Flush()
		}
	})
	m.srv = httptest.NewServer(mux)
	t.Cleanup(m.srv.Close)
	return m
}

// revoke stores the entry and pushes it to the open streams; store=false only pushes.
func (m *mesh) revoke(e revocation.Entry, store bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if store {
		m.entries = append(m.entries, e)
	}
	for ch := range m.streams {
		ch <- e
	}
}

func (m *mesh) streamCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.streams)
}

func startHTTPSource(t *testing.T, url string, set *revocation.Set, opts ...revocation.HTTPOption) {
	t.Helper()
	src, err := revocation.NewHTTPSource(url, set, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestHTTPSourceBootstrapAndStream(t *testing.T) {
	m := newMesh(t, 50*time.Millisecond)
	exp := time.Now().Add(time.Hour).Unix()
	m.revoke(revocation.Entry{Kind: revocation.KindJTI, Value: "j-before", Exp: exp}, true)
	set := revocation.NewSet()
	startHTTPSource(t, m.srv.URL, set, revocation.WithHTTPResyncEvery(time.Hour))
	testkit.Eventually(t, 5*time.Second, "bootstrap and stream", func() bool { return set.Bootstrapped() && m.streamCount() == 1 })
	if !set.Revoked("j-before", "") {
		t.Fatal("snapshot entry missing")
	}
	// Pushed on the stream only: nothing but the stream can deliver it.
	m.revoke(revocation.Entry{Kind: revocation.KindSID, Value: "s-stream", Exp: exp}, false)
	testkit.Eventually(t, 2*time.Second, "SSE revocation applied without resync", func() bool { return set.Revoked("", "s-stream") })
}

func TestHTTPSourceStaleAndRecovery(t *testing.T) {
	m := newMesh(t, 50*time.Millisecond)
	set := revocation.NewSet(revocation.WithStaleAfter(time.Second))
	startHTTPSource(t, m.srv.URL+revocation.DefaultSnapshotPath, set,
		revocation.WithHTTPResyncEvery(100*time.Millisecond),
		revocation.WithStreamIdleTimeout(300*time.Millisecond))
	testkit.Eventually(t, 5*time.Second, "bootstrap", set.Bootstrapped)
	time.Sleep(1500 * time.Millisecond)
	if !set.Fresh(time.Now()) {
		t.Fatal("healthy quiet stream went stale")
	}
	m.down.Store(true)
	testkit.Eventually(t, 3*time.Second, "stale while the mesh is down", func() bool { return !set.Fresh(time.Now()) })
	m.revoke(revocation.Entry{Kind: revocation.KindJTI, Value: "j-during", Exp: time.Now().Add(time.Hour).Unix()}, true)
	m.down.Store(false)
	testkit.Eventually(t, 10*time.Second, "fresh after recovery", func() bool { return set.Fresh(time.Now()) })
	if !set.Revoked("j-during", "") {
		t.Fatal("entry revoked during the outage missing after recovery")
	}
}

func TestHTTPSourceNeverBootstrapped(t *testing.T) {
	m := newMesh(t, time.Second)
	m.down.Store(true)
	set := revocation.NewSet()
	startHTTPSource(t, m.srv.URL, set, revocation.WithHTTPResyncEvery(50*time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	if set.Bootstrapped() || set.Fresh(time.Now()) {
		t.Fatal("bootstrapped without the mesh")
	}
}

func TestHTTPSourceURL(t *testing.T) {
	for _, bad := range []string{"", "ftp://x/y", "http://", "::"} {
		if _, err := revocation.NewHTTPSource(bad, revocation.NewSet()); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// Keepalives on a quiet stream keep the state fresh on their own, without resyncs.
func TestHTTPSourceKeepalivesKeepFresh(t *testing.T) {
	m := newMesh(t, 100*time.Millisecond)
	var syncs atomic.Int64
	set := revocation.NewSet(revocation.WithStaleAfter(time.Second))
	startHTTPSource(t, m.srv.URL, set, revocation.WithHTTPResyncEvery(time.Hour),
		revocation.WithHTTPHooks(revocation.Hooks{Sync: func(bool, time.Duration) { syncs.Add(1) }}))
	testkit.Eventually(t, 5*time.Second, "bootstrap", set.Bootstrapped)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if !set.Fresh(time.Now()) {
			t.Fatal("quiet stream with keepalives went stale")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := syncs.Load(); n != 1 {
		t.Fatalf("%d syncs: freshness must come from the stream here", n)
	}
}
