package revocation

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultSnapshotPath is where the local mesh serves the revocation snapshot (embedded mode).
const DefaultSnapshotPath = "/internal/auth/revocations"

// HTTPSource feeds a Set from the embedded mode's HTTP endpoints (ADR 0005):
// GET <snapshot> → {"revoked": [...], "as_of": ...} and GET <snapshot>/stream → SSE with one
// `revoked` event per new entry and keepalive comments. Like the Redis source, it opens the
// stream first and then reads the snapshot, resyncs periodically and after every reconnection.
type HTTPSource struct {
	base
	client      *http.Client
	snapshotURL string
	streamURL   string
	idle        time.Duration
}

// HTTPOption configures an HTTPSource.
type HTTPOption func(*HTTPSource)

// WithHTTPResyncEvery sets the full resync interval (default 10 s).
func WithHTTPResyncEvery(d time.Duration) HTTPOption {
	return func(h *HTTPSource) { h.resyncEvery = d }
}

// WithStreamIdleTimeout drops the stream when nothing (event or keepalive) arrived for d
// (default 35 s; the mesh sends a keepalive at least every 15 s).
func WithStreamIdleTimeout(d time.Duration) HTTPOption { return func(h *HTTPSource) { h.idle = d } }

// WithHTTPSourceClient sets the HTTP client (it must not have an overall Timeout: the stream
// is long-lived).
func WithHTTPSourceClient(c *http.Client) HTTPOption { return func(h *HTTPSource) { h.client = c } }

// WithHTTPLogger sets the logger.
func WithHTTPLogger(l *slog.Logger) HTTPOption { return func(h *HTTPSource) { h.log = l } }

// WithHTTPHooks sets observation hooks.
func WithHTTPHooks(hk Hooks) HTTPOption { return func(h *HTTPSource) { h.hooks = hk } }

// NewHTTPSource returns a source for the snapshot at rawURL. A URL without a path gets
// DefaultSnapshotPath; the stream is the snapshot URL + "/stream".
func NewHTTPSource(rawURL string, set *Set, opts ...HTTPOption) (*HTTPSource, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("revocation: bad revocations URL %q", rawURL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = DefaultSnapshotPath
	}
	h := &HTTPSource{client: &http.Client{}, idle: 35 * time.Second}
	h.defaults(set)
	h.snapshotURL = u.String()
	su := *u
	su.Path = strings.TrimSuffix(u.Path, "/") + "/stream"
	h.streamURL = su.String()
	for _, o := range opts {
		o(h)
	}
	return h, nil
}

// Run implements Source.
func (h *HTTPSource) Run(ctx context.Context) {
	go h.resyncLoop(ctx, h.Sync)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		up, err := h.streamOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if up {
			backoff = 100 * time.Millisecond
		}
		h.log.Warn("revocation stream down; reconnecting", "url", h.streamURL, "err", err, "retry_in", backoff.String())
		if !sleepCtx(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (h *HTTPSource) streamOnce(ctx context.Context) (bool, error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, h.streamURL, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	idle := time.AfterFunc(h.idle, cancel)
	defer idle.Stop()
	resp, err := h.client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("stream: status %d", resp.StatusCode)
	}
	// Connected: read what was revoked before.
	if err := h.Sync(ctx); err != nil {
		return false, err
	}
	h.hooks.live(true)
	defer h.hooks.live(false)
	rd := bufio.NewReaderSize(resp.Body, 16<<10)
	var event string
	var data bytes.Buffer
	for {
		line, err := rd.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return true, errors.New("stream: line too long")
			}
			if err == io.EOF {
				err = errors.New("stream closed by server")
			}
			return true, err
		}
		idle.Reset(h.idle)
		h.set.MarkLive(h.now())
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0: // dispatch
			if event == "revoked" && data.Len() > 0 {
				h.apply(data.Bytes())
			}
			event = ""
			data.Reset()
		case line[0] == ':': // comment (keepalive)
		default:
			field, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			switch string(field) {
			case "event":
				event = string(value)
			case "data":
				if data.Len() > 0 {
					data.WriteByte('\n')
				}
				data.Write(value)
			}
		}
	}
}

func (h *HTTPSource) apply(b []byte) {
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		h.log.Warn("revocation event ignored", "err", err, "data", truncate(string(b), 200))
		return
	}
	h.set.Add(e)
	h.hooks.update()
}

// Sync reads the snapshot into the Set and prunes expired entries.
func (h *HTTPSource) Sync(ctx context.Context) error {
	start := h.now()
	err := h.sync(ctx)
	h.hooks.sync(err == nil, h.now().Sub(start))
	if err != nil {
		return err
	}
	h.set.Prune()
	h.set.MarkSynced(start)
	return nil
}

func (h *HTTPSource) sync(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.snapshotURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("snapshot: status %d", resp.StatusCode)
	}
	var snap struct {
		Revoked json.RawMessage `json:"revoked"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&snap); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if snap.Revoked == nil {
		return errors.New(`snapshot: no "revoked" list`)
	}
	var items []json.RawMessage // null is an empty list
	if err := json.Unmarshal(snap.Revoked, &items); err != nil {
		return fmt.Errorf(`snapshot: "revoked" is not a list: %w`, err)
	}
	entries := make([]Entry, 0, len(items))
	for _, raw := range items {
		var e Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			h.log.Warn("revocation snapshot entry ignored", "err", err, "entry", truncate(string(raw), 200))
			continue
		}
		entries = append(entries, e)
	}
	h.set.Merge(entries)
	return nil
}
