package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"syscall"
	"time"
)

// One virtual user: tests/load/scan/vu.py's VU, step for step (see that file for the why).

const (
	origin    = "http://localhost:5173"
	pollEvery = 2 * time.Second
	pollFor   = 120.0 // seconds
	callLimit = 60 * time.Second
	// the stream: connect 10 s, then at most 90 s without a byte (httpx.Timeout(10, read=90))
	streamConnect = 10 * time.Second
	streamIdle    = 90 * time.Second
)

// hints are vu.py's HINTS; nil is a scan without words (user_input null).
var hints = []*string{ptr("라벨은 뗐어요"), ptr("씻어서 말렸어요"), nil, ptr("뚜껑이 달려 있어요"), ptr("기름이 조금 묻었어요")}

func ptr(s string) *string { return &s }

// Job is one cycle, the Python driver's Job field for field (times: CLOCK_MONOTONIC s).
type Job struct {
	VU             int     `json:"vu"`
	StartedAt      float64 `json:"started_at"`
	SubmittedAt    float64 `json:"submitted_at"`
	JobID          *string `json:"job_id"`
	FinishedAt     float64 `json:"finished_at"`
	Outcome        string  `json:"outcome"`
	SubmitMS       float64 `json:"submit_ms"`
	StreamFallback bool    `json:"stream_fallback"`
}

type Counters struct {
	Refreshes       int            `json:"refreshes"`
	Relogins        int            `json:"relogins"`
	NotStoredAtDone int            `json:"not_stored_at_done"`
	ShapeErrors     map[string]int `json:"shape_errors"`
}

// failed is vu.py's Failed: a step failed; kind is what the report counts.
type failed struct{ kind string }

func (f *failed) Error() string { return f.kind }

func fail(format string, a ...any) error { return &failed{fmt.Sprintf(format, a...)} }

// keyError and valueError stand for Python's KeyError / ValueError on a response body.
type keyError struct{ key string }

func (e *keyError) Error() string { return "missing " + e.key }

type valueError struct{ what string }

func (e *valueError) Error() string { return e.what }

type VU struct {
	index    int
	user     string
	base     *url.URL
	photo    []byte
	jar      http.CookieJar
	http     *http.Client // cookies, 60 s per call
	stream   *http.Client // cookies, no overall limit (the stream has its own timeouts)
	bare     *http.Client // no cookies: the PUT to the signed URL
	counters Counters
	jobs     []*Job
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func newVU(index int, user string, base *url.URL, transport http.RoundTripper, photo []byte) *VU {
	jar, _ := cookiejar.New(nil)
	// httpx does not follow redirects by default: the dev login's callback answers with a
	// redirect to the PWA, whose Set-Cookie is all the user needs
	return &VU{
		index: index, user: user, base: base, photo: photo, jar: jar,
		http:     &http.Client{Transport: transport, Jar: jar, Timeout: callLimit, CheckRedirect: noRedirect},
		stream:   &http.Client{Transport: transport, Jar: jar, CheckRedirect: noRedirect},
		bare:     &http.Client{Transport: transport, Timeout: callLimit, CheckRedirect: noRedirect},
		counters: Counters{ShapeErrors: map[string]int{}},
	}
}

type response struct {
	status int
	body   []byte
}

func (r *response) ok() bool { return r.status >= 200 && r.status < 300 }

func (vu *VU) resolve(ref string) (string, error) {
	u, err := vu.base.Parse(ref)
	if err != nil {
		return "", &valueError{"bad URL " + ref}
	}
	return u.String(), nil
}

// send makes one request with client and reads the whole answer.
func (vu *VU) send(ctx context.Context, client *http.Client, method, ref string, body []byte,
	headers map[string]string) (*response, error) {
	target, err := vu.resolve(ref)
	if err != nil {
		return nil, err
	}
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return nil, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{resp.StatusCode, data}, nil
}

var jsonHeaders = map[string]string{"Content-Type": "application/json"}

func (vu *VU) request(ctx context.Context, method, ref string, payload any) (*response, error) {
	if payload == nil {
		return vu.send(ctx, vu.http, method, ref, nil, nil)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return vu.send(ctx, vu.http, method, ref, body, jsonHeaders)
}

func (vu *VU) refresh(ctx context.Context) (*response, error) {
	return vu.send(ctx, vu.http, http.MethodPost, "/api/v1/auth/refresh", nil, nil)
}

func (vu *VU) login(ctx context.Context) error {
	path := "/api/v1/auth/dev?" + url.Values{"dev_user": {vu.user}}.Encode()
	started, err := vu.send(ctx, vu.http, http.MethodGet, path, nil,
		map[string]string{"X-Frontend-Origin": origin})
	if err != nil {
		return err
	}
	if started.status != 200 {
		return fail("login %d", started.status)
	}
	body, err := decodeObject(started.body)
	if err != nil {
		return err
	}
	data, ok := body["data"].(map[string]any)
	if !ok {
		return &keyError{"data"}
	}
	authorization, ok := data["authorization_url"].(string)
	if !ok {
		return &keyError{"authorization_url"}
	}
	if _, err := vu.send(ctx, vu.http, http.MethodGet, authorization, nil, nil); err != nil {
		return err
	}
	for _, c := range vu.jar.Cookies(vu.base) {
		if c.Name == "s_access" {
			return nil
		}
	}
	return fail("login: no session cookie")
}

// call is a cookie-session call; on 401 refresh once and retry, as the PWA's interceptor.
func (vu *VU) call(ctx context.Context, method, ref string, payload any) (*response, error) {
	r, err := vu.request(ctx, method, ref, payload)
	if err != nil || r.status != 401 {
		return r, err
	}
	vu.counters.Refreshes++
	refreshed, err := vu.refresh(ctx)
	if err != nil {
		return nil, err
	}
	if refreshed.ok() {
		return vu.request(ctx, method, ref, payload)
	}
	vu.counters.Relogins++
	if err := vu.login(ctx); err != nil {
		return nil, err
	}
	return vu.request(ctx, method, ref, payload)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run is the closed loop until stopAt. A cycle cut by ctx (the drain's end) is left as the
// Python driver leaves a cancelled one: no outcome, finished_at 0.
func (vu *VU) run(ctx context.Context, stopAt float64) {
	for n := 0; mono() < stopAt; n++ {
		job := &Job{VU: vu.index, StartedAt: mono()}
		vu.jobs = append(vu.jobs, job)
		err := vu.cycle(ctx, job, hints[(vu.index+n)%len(hints)])
		if err != nil && ctx.Err() != nil {
			job.Outcome, job.FinishedAt = "", 0
			return
		}
		if err != nil {
			job.Outcome = "error: " + kindOf(err)
		}
		if job.FinishedAt == 0 {
			job.FinishedAt = mono()
		}
		if err != nil && job.JobID == nil {
			if sleep(ctx, time.Second) != nil { // a refused submit: do not hammer
				return
			}
		}
	}
}

func (vu *VU) cycle(ctx context.Context, job *Job, hint *string) error {
	body := map[string]string{"filename": "item.png", "content_type": "image/png"}
	signed, err := vu.call(ctx, http.MethodPost, "/api/v1/images/scan", body)
	if err != nil {
		return err
	}
	if signed.status != 200 {
		return fail("upload url %d", signed.status)
	}
	upload, err := decodeObject(signed.body)
	if err != nil {
		return err
	}
	headers := map[string]string{"Content-Type": "image/png"}
	if required, ok := upload["required_headers"].(map[string]any); ok {
		for k, v := range required {
			headers[k] = fmt.Sprint(v)
		}
	}
	uploadURL, err := str(upload, "upload_url")
	if err != nil {
		return err
	}
	put, err := vu.send(ctx, vu.bare, http.MethodPut, uploadURL, vu.photo, headers)
	if err != nil {
		return err
	}
	if !put.ok() {
		return fail("upload %d", put.status)
	}
	job.SubmittedAt = mono()
	cdn, err := str(upload, "cdn_url")
	if err != nil {
		return err
	}
	submit := map[string]any{"image_url": cdn, "user_input": hint}
	submitted, err := vu.call(ctx, http.MethodPost, "/api/v1/scan", submit)
	if err != nil {
		return err
	}
	job.SubmitMS = (mono() - job.SubmittedAt) * 1e3
	if submitted.status != 200 && submitted.status != 202 {
		return fail("submit %d", submitted.status)
	}
	accepted, err := decodeObject(submitted.body)
	if err != nil {
		return err
	}
	id, err := str(accepted, "job_id")
	if err != nil {
		return err
	}
	job.JobID = &id
	streamURL, err := str(accepted, "stream_url")
	if err != nil {
		return err
	}
	resultURL, err := str(accepted, "result_url")
	if err != nil {
		return err
	}
	done, err := vu.follow(ctx, job, streamURL)
	if err != nil {
		return err
	}
	result, err := vu.result(ctx, resultURL, done)
	if err != nil {
		return err
	}
	job.FinishedAt = mono()
	problems := shapeProblems(result)
	for _, p := range problems {
		vu.counters.ShapeErrors[p]++
	}
	switch {
	case len(problems) > 0:
		job.Outcome = "error: result shape"
	case result["status"] == "completed":
		job.Outcome = "completed"
	default:
		job.Outcome = "failed"
	}
	return nil
}

// follow reads the stream to `done`; false when it broke (the caller polls instead). An error
// only from the refresh after a 401, which vu.py does not catch either.
func (vu *VU) follow(ctx context.Context, job *Job, streamURL string) (bool, error) {
	for attempt := 0; attempt < 2; attempt++ { // a second time after a refresh
		status, done, err := vu.readStream(ctx, streamURL)
		if ctx.Err() != nil {
			return false, ctx.Err() // cut at the drain's end, not a broken stream
		}
		if err != nil {
			break
		}
		if status == 200 {
			if done {
				return true, nil
			}
			break // ended without done
		}
		if status != 401 {
			break
		}
		vu.counters.Refreshes++
		refreshed, err := vu.refresh(ctx)
		if err != nil {
			return false, err
		}
		if !refreshed.ok() {
			break
		}
	}
	job.StreamFallback = true
	return false, nil
}

type connectTimeoutKey struct{}

// readStream GETs the SSE stream and reads it until a `done` event (true) or its end.
func (vu *VU) readStream(ctx context.Context, ref string) (int, bool, error) {
	target, err := vu.resolve(ref)
	if err != nil {
		return 0, false, err
	}
	ctx, cancel := context.WithCancel(context.WithValue(ctx, connectTimeoutKey{}, streamConnect))
	defer cancel()
	idle := time.AfterFunc(streamIdle, cancel)
	defer idle.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-store")
	resp, err := vu.stream.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return resp.StatusCode, false, nil
	}
	if !isEventStream(resp.Header.Get("Content-Type")) { // httpx-sse's SSEError
		return 200, false, errors.New("not an event stream")
	}
	done, err := untilDone(resp.Body, func() { idle.Reset(streamIdle) })
	return 200, done, err
}

func isEventStream(contentType string) bool {
	return len(contentType) >= 17 && contentType[:17] == "text/event-stream"
}

// untilDone parses server-sent events (the WHATWG rules httpx-sse follows: an event is
// dispatched at a blank line, its name is the last `event:` field) and returns true at the
// first `done`; everything else (keepalive, token, stage events) is skipped unparsed.
func untilDone(body io.Reader, touch func()) (bool, error) {
	r := bufio.NewReaderSize(body, 32<<10)
	event := ""
	continued := false // inside a line longer than the buffer: only its start matters
	for {
		chunk, err := r.ReadSlice('\n')
		if len(chunk) > 0 {
			touch()
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			if !continued {
				event = field(chunk, event)
			}
			continued = true
			continue
		}
		if err != nil {
			return false, err // io.EOF: the stream ended without done
		}
		if continued {
			continued = false
			continue
		}
		line := bytes.TrimRight(chunk, "\r\n")
		if len(line) == 0 {
			if event == "done" {
				return true, nil
			}
			event = ""
			continue
		}
		event = field(line, event)
	}
}

// field applies one SSE line to the pending event name.
func field(line []byte, event string) string {
	if line[0] == ':' {
		return event // a comment
	}
	name, value, _ := bytes.Cut(line, []byte(":"))
	if string(name) != "event" {
		return event
	}
	value = bytes.TrimPrefix(bytes.TrimRight(value, "\r\n"), []byte(" "))
	return string(value)
}

// result fetches the result once; not stored yet: polls every 2 s for 2 minutes.
func (vu *VU) result(ctx context.Context, resultURL string, afterDone bool) (map[string]any, error) {
	r, err := vu.call(ctx, http.MethodGet, resultURL, nil)
	if err != nil {
		return nil, err
	}
	if r.status == 200 {
		return decodeObject(r.body)
	}
	if afterDone && r.status == 202 {
		vu.counters.NotStoredAtDone++
	}
	deadline := mono() + pollFor
	for mono() < deadline {
		if err := sleep(ctx, pollEvery); err != nil {
			return nil, err
		}
		r, err = vu.call(ctx, http.MethodGet, resultURL, nil)
		if err != nil {
			return nil, err
		}
		if r.status == 200 {
			return decodeObject(r.body)
		}
		if r.status != 202 {
			return nil, fail("result %d", r.status)
		}
	}
	return nil, fail("result not ready after 2 min of polling")
}

// settle (after the run, --chaos): every job that got an id must have a stored result; poll
// until deadline. Returns the job ids that never got one.
func (vu *VU) settle(ctx context.Context, deadline float64) []string {
	missing := []string{}
	for _, job := range vu.jobs {
		if job.JobID == nil || job.Outcome == "completed" || job.Outcome == "failed" {
			continue
		}
		ref := "/api/v1/scan/" + *job.JobID + "/result"
		for {
			r, err := vu.call(ctx, http.MethodGet, ref, nil)
			if err == nil && r.status == 200 {
				status := "None"
				if body, err := decodeObject(r.body); err == nil {
					if s, ok := body["status"]; ok && s != nil {
						status = fmt.Sprint(s)
					}
				}
				job.Outcome = fmt.Sprintf("late %s (%s)", status, job.Outcome)
				break
			}
			if mono() > deadline {
				missing = append(missing, *job.JobID)
				break
			}
			if sleep(ctx, pollEvery) != nil {
				return missing
			}
		}
	}
	return missing
}

func decodeObject(body []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var value any
	if err := d.Decode(&value); err != nil {
		return nil, &jsonError{err}
	}
	object, ok := value.(map[string]any)
	if !ok {
		return nil, &valueError{"not a JSON object"}
	}
	return object, nil
}

type jsonError struct{ err error }

func (e *jsonError) Error() string { return e.err.Error() }

func str(object map[string]any, key string) (string, error) {
	s, ok := object[key].(string)
	if !ok {
		return "", &keyError{key}
	}
	return s, nil
}

// kindOf names an error as the Python driver does (Failed's kind, else the exception's
// class: httpx's for the transport, KeyError / JSONDecodeError / ValueError for a body).
func kindOf(err error) string {
	var f *failed
	var k *keyError
	var j *jsonError
	var v *valueError
	var op *net.OpError
	var ne net.Error
	switch {
	case errors.As(err, &f):
		return f.kind
	case errors.As(err, &k):
		return "KeyError"
	case errors.As(err, &j):
		return "JSONDecodeError"
	case errors.As(err, &v):
		return "ValueError"
	case errors.As(err, &op) && op.Op == "dial":
		if op.Timeout() {
			return "ConnectTimeout"
		}
		return "ConnectError"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "ReadTimeout"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "ReadError"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "RemoteProtocolError"
	default:
		return "HTTPError"
	}
}
