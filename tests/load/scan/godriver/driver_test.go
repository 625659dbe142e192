package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestUntilDone(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	cases := map[string]bool{
		"event: keepalive\nid: 1\ndata: {}\n\nevent: done\nid: 2\ndata: {}\n\n":     true,
		"event: token\r\ndata: " + long + "\r\n\r\nevent: done\r\ndata: {}\r\n\r\n": true,
		": comment\n\nevent: done\ndata: {}\n":                                      false, // never dispatched
		"event: done\ndata: " + long + "\n\n":                                       true,
		"event: stage\ndata: {}\n\n":                                                false,
		"data: event: done\n\n":                                                     false,
	}
	for body, want := range cases {
		got, _ := untilDone(strings.NewReader(body), func() {})
		if got != want {
			t.Errorf("%.60q: got %v, want %v", body, got, want)
		}
	}
}

func TestShapeProblems(t *testing.T) {
	good := `{"task_id":"t","status":"completed","message":"m","reward":null,"pipeline_result":
	{"classification_result":{"classification":{"major_category":"a","middle_category":"b",
	"minor_category":"c"},"situation_tags":[]},"disposal_rules":null,"final_answer":
	{"disposal_steps":{},"insufficiencies":[],"user_answer":"u"}}}`
	cases := map[string][]string{
		good:                  nil,
		`{"status":"failed"}`: {"task_id", "message", "reward (must be explicit, null for none)"},
		`{"task_id":1,"status":"completed","message":"","reward":{"name":1}}`: {
			"pipeline_result (KeyError('pipeline_result'))", "reward fields"},
		`{"task_id":1,"status":"completed","message":"","reward":null,"pipeline_result":null}`: {
			`pipeline_result (TypeError("'NoneType' object is not subscriptable"))`},
		`{"task_id":1,"status":"completed","message":"","reward":null,"pipeline_result":
		{"classification_result":{"classification":[]}}}`: {
			`pipeline_result (AttributeError("'list' object has no attribute 'get'"))`},
	}
	for body, want := range cases {
		result, err := decodeObject([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if got := shapeProblems(result); !reflect.DeepEqual(got, want) {
			t.Errorf("%.50s: got %q, want %q", body, got, want)
		}
	}
}

// mono must be Python's time.monotonic() (the bench's clock), not just a monotonic clock.
func TestMonoIsPythonMonotonic(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	before := mono()
	out, err := exec.Command(py, "-c", "import time; print(time.monotonic())").Output()
	after := mono()
	if err != nil {
		t.Fatal(err)
	}
	theirs, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if theirs < before || theirs > after {
		t.Errorf("python %f not within [%f, %f]", theirs, before, after)
	}
}

const goodResult = `{"task_id":"t","status":"completed","message":"m","reward":{"name":"n",
"dialog":"d","match_reason":"r","type":"t"},"pipeline_result":{"classification_result":
{"classification":{"major_category":"a","middle_category":"b","minor_category":"c"},
"situation_tags":[]},"disposal_rules":{},"final_answer":{"disposal_steps":{},
"insufficiencies":[],"user_answer":"u"}}}`

// fakeMesh answers the scan flow; the first images call and the first stream get a 401, the
// stream then answers `stream` (200 with that body, or the status in streamStatus).
func fakeMesh(t *testing.T, streamStatus int, stream string) *httptest.Server {
	var mu sync.Mutex
	seen := map[string]int{}
	mux := http.NewServeMux()
	authed := func(w http.ResponseWriter, r *http.Request, first401 string) bool {
		mu.Lock()
		defer mu.Unlock()
		seen[first401]++
		c, err := r.Cookie("s_access")
		if err != nil || (seen[first401] == 1 && first401 != "") || c.Value == "" {
			w.WriteHeader(401)
			return false
		}
		return true
	}
	session := func(w http.ResponseWriter, v string) {
		http.SetCookie(w, &http.Cookie{Name: "s_access", Value: v, Path: "/", HttpOnly: true})
		http.SetCookie(w, &http.Cookie{Name: "s_refresh", Value: v, Path: "/", HttpOnly: true})
	}
	mux.HandleFunc("GET /api/v1/auth/dev", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Frontend-Origin") != origin || r.URL.Query().Get("dev_user") != "u 1" {
			w.WriteHeader(400)
			return
		}
		w.Write([]byte(`{"data":{"authorization_url":"/cb?state=x"}}`))
	})
	mux.HandleFunc("GET /cb", func(w http.ResponseWriter, r *http.Request) {
		session(w, "a")
		http.Redirect(w, r, origin+"/", http.StatusFound) // must not be followed
	})
	mux.HandleFunc("POST /api/v1/auth/refresh", func(w http.ResponseWriter, r *http.Request) {
		session(w, "b")
		w.Write([]byte(`{}`))
	})
	mux.HandleFunc("POST /api/v1/images/scan", func(w http.ResponseWriter, r *http.Request) {
		if authed(w, r, "images") {
			w.Write([]byte(`{"upload_url":"/put","cdn_url":"http://cdn/x.png",
			"required_headers":{"X-Sig":"s"}}`))
		}
	})
	mux.HandleFunc("PUT /put", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Cookie") != "" || r.Header.Get("X-Sig") != "s" ||
			r.Header.Get("Content-Type") != "image/png" || string(body) != "PNG" {
			w.WriteHeader(403)
			return
		}
		w.WriteHeader(200)
	})
	mux.HandleFunc("POST /api/v1/scan", func(w http.ResponseWriter, r *http.Request) {
		var submit map[string]any
		if json.NewDecoder(r.Body).Decode(&submit) != nil || submit["image_url"] != "http://cdn/x.png" {
			w.WriteHeader(422)
			return
		}
		if authed(w, r, "") {
			w.WriteHeader(202)
			w.Write([]byte(`{"job_id":"j1","stream_url":"/s/j1","result_url":"/r/j1"}`))
		}
	})
	mux.HandleFunc("GET /s/j1", func(w http.ResponseWriter, r *http.Request) {
		if !authed(w, r, "stream") {
			return
		}
		if streamStatus != 200 {
			w.WriteHeader(streamStatus)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.Write([]byte(stream))
	})
	mux.HandleFunc("GET /r/j1", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen["result"]++
		n := seen["result"]
		mu.Unlock()
		if streamStatus != 200 && n == 1 {
			w.WriteHeader(202)
			w.Write([]byte(`{"status":"processing"}`))
			return
		}
		w.Write([]byte(goodResult))
	})
	server := httptest.NewServer(mux)
	t.Cleanup(server.Close)
	return server
}

func oneCycle(t *testing.T, server *httptest.Server) *VU {
	base, _ := url.Parse(server.URL)
	vu := newVU(7, "u 1", base, transport(1), []byte("PNG"))
	if err := vu.login(context.Background()); err != nil {
		t.Fatal(err)
	}
	job := &Job{VU: vu.index, StartedAt: mono()}
	vu.jobs = append(vu.jobs, job)
	if err := vu.cycle(context.Background(), job, nil); err != nil {
		t.Fatal(kindOf(err), err)
	}
	return vu
}

func TestCycleRefreshesAndStreams(t *testing.T) {
	stream := "event: keepalive\nid: 0\ndata: {}\n\nevent: token\nid: 1\ndata: {}\n\n" +
		"event: done\nid: 2\ndata: {}\n\n"
	vu := oneCycle(t, fakeMesh(t, 200, stream))
	job := vu.jobs[0]
	if job.Outcome != "completed" || job.StreamFallback || job.JobID == nil || *job.JobID != "j1" {
		t.Errorf("job %+v", job)
	}
	if vu.counters.Refreshes != 2 || vu.counters.Relogins != 0 || vu.counters.NotStoredAtDone != 0 {
		t.Errorf("counters %+v", vu.counters)
	}
	if !(job.StartedAt < job.SubmittedAt && job.SubmittedAt < job.FinishedAt && job.SubmitMS > 0) {
		t.Errorf("times %+v", job)
	}
}

func TestCycleFallsBackToPolling(t *testing.T) {
	vu := oneCycle(t, fakeMesh(t, 500, ""))
	job := vu.jobs[0]
	if job.Outcome != "completed" || !job.StreamFallback {
		t.Errorf("job %+v", job)
	}
	if vu.counters.NotStoredAtDone != 0 {
		t.Errorf("counters %+v", vu.counters)
	}
}
