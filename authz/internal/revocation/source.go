package revocation

import (
	"context"
	"log/slog"
	"time"
)

// Source keeps a Set up to date until ctx is done.
type Source interface {
	Run(ctx context.Context)
}

// Hooks let a caller observe a source (metrics). Nil fields are skipped.
type Hooks struct {
	// Sync is called after every full sync attempt.
	Sync func(ok bool, d time.Duration)
	// Update is called for every live update applied (Pub/Sub message or SSE event).
	Update func()
	// Live is called when the live feed goes up or down.
	Live func(up bool)
}

func (h Hooks) sync(ok bool, d time.Duration) {
	if h.Sync != nil {
		h.Sync(ok, d)
	}
}

func (h Hooks) update() {
	if h.Update != nil {
		h.Update()
	}
}

func (h Hooks) live(up bool) {
	if h.Live != nil {
		h.Live(up)
	}
}

// common settings of both sources.
type base struct {
	set         *Set
	resyncEvery time.Duration
	now         func() time.Time
	log         *slog.Logger
	hooks       Hooks
}

func (b *base) defaults(set *Set) {
	b.set = set
	b.resyncEvery = 10 * time.Second
	b.now = time.Now
	b.log = slog.Default()
}

// resyncLoop runs sync every resyncEvery (every 500 ms until the first success) and prunes.
func (b *base) resyncLoop(ctx context.Context, sync func(context.Context) error) {
	for {
		wait := b.resyncEvery
		booting := !b.set.Bootstrapped()
		if booting {
			wait = min(wait, 500*time.Millisecond)
		}
		if !sleepCtx(ctx, wait) {
			return
		}
		if booting && b.set.Bootstrapped() {
			continue // the live feed's own sync got there first; start the regular period
		}
		if err := sync(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("revocation resync failed", "err", err, "stale", !b.set.Fresh(b.now()))
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
