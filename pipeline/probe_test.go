package pipeline

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// These drive the probe against real local sockets shaped like the engine's tunnel:
// an app that answers late, wrongly, never, or has exited (listener closed).

func TestProbeWaitsForTheRightAnswer(t *testing.T) {
	var requests atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) < 3 { // not ready yet: the connection ends without an answer
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		w.Header().Set("Server", "gunicorn")
		w.Write([]byte("hello"))
	}))
	defer server.Close()
	result := pollUntilAnswered(context.Background(), server.URL+"/", 5000, "hello", 5*time.Second)
	if !result.Passed || result.Status != 200 || result.Body != "hello" || result.Server != "gunicorn" || result.Attempts != 3 || result.Error != "" {
		t.Fatalf("want a pass on the third request, got %+v", result)
	}
}

func TestProbeStopsAfterAFewWrongAnswers(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		w.Write([]byte("oops"))
	}))
	defer server.Close()
	result := pollUntilAnswered(context.Background(), server.URL+"/", 5000, "hello", time.Minute)
	if result.Passed || result.Attempts != wrongAnswersToStop || !strings.Contains(result.Error, `answered 500 "oops", want 200 "hello"`) {
		t.Fatalf("want a failure after %d wrong answers, got %+v", wrongAnswersToStop, result)
	}
}

func TestProbeSaysTheAppExitedWhenTheTunnelCloses(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	listener.Close() // what the engine does to a tunnel whose service exited
	start := time.Now()
	result := pollUntilAnswered(context.Background(), "http://"+address+"/", 5000, "hello", time.Minute)
	if result.Passed || result.Error != appExited || time.Since(start) > 5*time.Second {
		t.Fatalf("want %q at once, got %+v after %s", appExited, result, time.Since(start))
	}
}

func TestProbeGivesUpAtTheTimeoutOnAnAppThatNeverAnswers(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	go func() { // the tunnel takes each connection, the app's port gives nothing
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	start := time.Now()
	result := pollUntilAnswered(context.Background(), "http://"+listener.Addr().String()+"/", 5000, "hello", time.Second)
	took := time.Since(start)
	// The cause is EOF or a reset, as the closing races the request.
	if result.Passed || !strings.HasPrefix(result.Error, "no good answer within 1s (no HTTP answer on port 5000: ") {
		t.Fatalf("want a timeout naming the port, got %+v", result)
	}
	if took < 900*time.Millisecond || took > 5*time.Second {
		t.Fatalf("gave up after %s with a 1s timeout", took)
	}
}
