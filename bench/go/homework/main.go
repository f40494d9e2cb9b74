// Command homework is the Go twin of the C++ homework (homework/): an app server and
// a debug server (net/http), a signal watcher and an admin member in one errgroup,
// "one exits, all exit", and a graceful drain of both servers under one deadline.
// Same flags, endpoints, log lines and exit codes, so bench/../scripts/compare.sh
// runs the same load and shutdown measurements against both.
//
//	go build -o /tmp/homework-go ./homework && /tmp/homework-go --app=127.0.0.1:0 --debug=127.0.0.1:0
//
// Exit: 0 graceful, 1 a member failed, 2 bad flags, 3 drain missed the deadline,
// 128+signo a second signal forced the exit.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

var start = time.Now()

// logf writes one event a line to stderr, elapsed time first (the C++ format).
func logf(format string, args ...any) {
	ms := float64(time.Since(start).Nanoseconds()) / 1e6
	fmt.Fprintf(os.Stderr, "[%9.1fms] %s\n", ms, fmt.Sprintf(format, args...))
}

const usage = `usage: homework [--app=ADDR] [--debug=ADDR] [--shutdown-timeout=DUR] [--drain-delay=DUR]
                [--read-header-timeout=DUR] [--idle-timeout=DUR] [--help]

Go twin of the C++ homework: two HTTP servers (app and debug) under one group: when one
stops, all stop. SIGINT/SIGTERM/SIGQUIT drain gracefully; a second one exits at once.

  --app=ADDR                 app server address (default 127.0.0.1:8080; port 0 picks one)
  --debug=ADDR               debug server address (default 127.0.0.1:8081)
  --shutdown-timeout=DUR     drain deadline for both servers (default 5s)
  --drain-delay=DUR          /readyz says 503 this long before listeners close (default 0s)
  --read-header-timeout=DUR  time to read a request's headers (default 5s)
  --idle-timeout=DUR         keep-alive idle timeout (default 60s)

app:   GET /   GET /slow?ms=N (0..60000)   GET /panic
debug: GET /healthz   GET /readyz   GET /debug/vars   POST /debug/quit   POST /debug/fail
exit:  0 graceful, 1 a member failed, 2 bad flags, 3 drain missed the deadline,
       128+signo a second signal forced the exit
`

type flags struct {
	app, debug                                   string
	shutdownTimeout, drainDelay, readHdr, idleTo time.Duration
}

func parseFlags(args []string) (flags, error) {
	f := flags{}
	fs := flag.NewFlagSet("homework", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.app, "app", "127.0.0.1:8080", "")
	fs.StringVar(&f.debug, "debug", "127.0.0.1:8081", "")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 5*time.Second, "")
	fs.DurationVar(&f.drainDelay, "drain-delay", 0, "")
	fs.DurationVar(&f.readHdr, "read-header-timeout", 5*time.Second, "")
	fs.DurationVar(&f.idleTo, "idle-timeout", 60*time.Second, "")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected argument %q (flags look like --name=value)", fs.Arg(0))
	}
	for _, a := range []struct{ name, v string }{{"app", f.app}, {"debug", f.debug}} {
		_, port, err := net.SplitHostPort(a.v)
		p, perr := strconv.Atoi(port)
		if err != nil || perr != nil || p < 0 || p > 65535 {
			return f, fmt.Errorf("invalid value %q for --%s: want HOST:PORT with PORT 0..65535 (e.g. 127.0.0.1:8080)", a.v, a.name)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"shutdown-timeout", f.shutdownTimeout}, {"drain-delay", f.drainDelay},
		{"read-header-timeout", f.readHdr}, {"idle-timeout", f.idleTo}} {
		if d.v < 0 || d.v > 24*time.Hour {
			return f, fmt.Errorf("invalid value %v for --%s: want a duration from 0 to 24h", d.v, d.name)
		}
	}
	return f, nil
}

func text(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// route serves one exact path for one method: 405 for another method.
func route(mux *http.ServeMux, path, method string, h http.HandlerFunc) {
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			text(w, 404, "404 page not found\n")
			return
		}
		if r.Method != method {
			w.Header().Set("Allow", method)
			text(w, 405, "405 method not allowed\n")
			return
		}
		h(w, r)
	})
}

// parseMs accepts an integer in 0..60000, digits only.
func parseMs(s string) (int, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, _ := strconv.Atoi(s)
	return n, n <= 60000
}

type state struct {
	ready         atomic.Bool
	phase         atomic.Value // "serving", "draining", "stopped"
	inflight      atomic.Int64
	requestsTotal atomic.Int64
	admin         chan string // "quit" or "fail"
}

func appHandler(st *state) http.Handler {
	mux := http.NewServeMux()
	route(mux, "/", "GET", func(w http.ResponseWriter, r *http.Request) {
		text(w, 200, "hello from homework\n")
	})
	route(mux, "/slow", "GET", func(w http.ResponseWriter, r *http.Request) {
		ms, ok := parseMs(r.URL.Query().Get("ms"))
		if !ok {
			text(w, 400, "400 bad request: ms must be an integer in 0..60000\n")
			return
		}
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
			text(w, 200, fmt.Sprintf("slow: slept %d ms\n", ms))
		case <-r.Context().Done():
			text(w, 503, "503 aborted: "+r.Context().Err().Error()+"\n")
		}
	})
	route(mux, "/panic", "GET", func(w http.ResponseWriter, r *http.Request) {
		panic("/panic: this handler always throws")
	})
	// We count requests and turn a handler's panic into a 500 (net/http itself would
	// drop the connection without an answer).
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.inflight.Add(1)
		st.requestsTotal.Add(1)
		defer st.inflight.Add(-1)
		defer func() {
			if p := recover(); p != nil {
				logf("handler panicked: %v", p)
				text(w, 500, "500 internal server error\n")
			}
		}()
		mux.ServeHTTP(w, r)
	})
}

func debugHandler(st *state) http.Handler {
	mux := http.NewServeMux()
	route(mux, "/healthz", "GET", func(w http.ResponseWriter, r *http.Request) { text(w, 200, "ok\n") })
	route(mux, "/readyz", "GET", func(w http.ResponseWriter, r *http.Request) {
		if st.ready.Load() {
			text(w, 200, "ready\n")
		} else {
			text(w, 503, "shutting down\n")
		}
	})
	route(mux, "/debug/vars", "GET", func(w http.ResponseWriter, r *http.Request) {
		b, _ := json.Marshal(map[string]any{
			"uptime_s":       time.Since(start).Seconds(),
			"goroutines":     runtime.NumGoroutine(),
			"inflight":       st.inflight.Load(),
			"requests_total": st.requestsTotal.Load(),
			"state":          st.phase.Load().(string),
		})
		w.Header().Set("Content-Type", "application/json")
		w.Write(append(b, '\n'))
	})
	route(mux, "/debug/quit", "POST", func(w http.ResponseWriter, r *http.Request) {
		select {
		case st.admin <- "quit":
		default:
		}
		text(w, 200, "quitting: the whole group stops\n")
	})
	route(mux, "/debug/fail", "POST", func(w http.ResponseWriter, r *http.Request) {
		select {
		case st.admin <- "fail":
		default:
		}
		text(w, 200, "failing: the debug member returns an error\n")
	})
	return mux
}

var signalNames = map[os.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGQUIT: "SIGQUIT"}

type signalError struct{ sig syscall.Signal }

func (e signalError) Error() string { return "signal " + signalNames[e.sig] }

// cause is the first member to return, nil or error (oklog/run's rule).
type cause struct {
	member string
	err    error
}

func (c cause) describe() string {
	if c.err != nil {
		return c.err.Error()
	}
	if c.member == "debug admin" {
		return "debug: quit requested (POST /debug/quit)"
	}
	return c.member + " returned"
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	for _, a := range args {
		if a == "--help" || a == "-h" || a == "-help" {
			fmt.Print(usage)
			return 0
		}
	}
	f, err := parseFlags(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "homework: %v\n\n%s", err, usage)
		return 2
	}
	// Signals first: subscribed before anything serves.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT)

	// Bind both listeners before serving anything (Go sets SO_REUSEADDR, not REUSEPORT).
	appLn, err := net.Listen("tcp", f.app)
	if err != nil {
		logf("exit 1: app: listen %s: %v", f.app, err)
		return 1
	}
	debugLn, err := net.Listen("tcp", f.debug)
	if err != nil {
		appLn.Close()
		logf("exit 1: debug: listen %s: %v", f.debug, err)
		return 1
	}
	st := &state{admin: make(chan string, 1)}
	st.ready.Store(true)
	st.phase.Store("serving")
	mk := func(h http.Handler) *http.Server {
		return &http.Server{Handler: h, ReadHeaderTimeout: f.readHdr, IdleTimeout: f.idleTo}
	}
	app, debug := mk(appHandler(st)), mk(debugHandler(st))
	logf("app listening on %s", appLn.Addr())
	logf("debug listening on %s", debugLn.Addr())

	// One exits, all exit: errgroup.WithContext cancels only on an error, so each
	// member records the first return (nil or not) and cancels the group itself.
	g, gctx := errgroup.WithContext(context.Background())
	ctx, stop := context.WithCancel(gctx)
	defer stop()
	var first cause
	var once sync.Once
	member := func(name string, fn func() error) {
		g.Go(func() error {
			err := fn()
			once.Do(func() { first = cause{name, err} })
			stop()
			return err
		})
	}
	forcerQuit := make(chan struct{})
	var forcerDone sync.WaitGroup
	member("signals", func() error {
		var got os.Signal
		select {
		case got = <-sigs:
			logf("signal received: %s", signalNames[got])
		case <-ctx.Done():
		}
		forcerDone.Add(1)
		go func(seen bool) {
			defer forcerDone.Done()
			for {
				select {
				case s := <-sigs:
					if seen {
						logf("exit %d: forced by a second signal (%s) during the drain", 128+int(s.(syscall.Signal)), signalNames[s])
						os.Exit(128 + int(s.(syscall.Signal)))
					}
					seen = true
					logf("signal received: %s (already shutting down; another one forces the exit)", signalNames[s])
				case <-forcerQuit:
					return
				}
			}
		}(got != nil)
		if got != nil {
			return signalError{got.(syscall.Signal)}
		}
		return nil
	})
	serve := func(name string, srv *http.Server, ln net.Listener) func() error {
		return func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		}
	}
	member("app", serve("app", app, appLn))
	member("debug", serve("debug", debug, debugLn))
	member("debug admin", func() error {
		select {
		case cmd := <-st.admin:
			if cmd == "fail" {
				return errors.New("debug: failure requested (POST /debug/fail)")
			}
		case <-ctx.Done():
		}
		return nil
	})
	var drainErr error
	member("shutdown", func() error {
		<-ctx.Done()
		st.ready.Store(false)
		st.phase.Store("draining")
		logf("shutting down: %s", first.describe())
		if f.drainDelay > 0 {
			time.Sleep(f.drainDelay)
		}
		dctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
		defer cancel()
		var drains errgroup.Group
		for _, s := range []struct {
			name string
			srv  *http.Server
		}{{"app", app}, {"debug", debug}} {
			s := s
			drains.Go(func() error {
				err := s.srv.Shutdown(dctx)
				if err != nil {
					s.srv.Close() // abort what is left: closes every connection
					logf("%s stopped: drain cut short at the deadline (%v)", s.name, err)
				} else {
					logf("%s stopped", s.name)
				}
				return err
			})
		}
		drainErr = drains.Wait()
		st.phase.Store("stopped")
		return drainErr
	})
	g.Wait()
	close(forcerQuit)
	forcerDone.Wait()
	signal.Stop(sigs)

	code := 1
	var se signalError
	if first.err == nil || errors.As(first.err, &se) {
		code = 0
	}
	why := first.describe()
	if drainErr != nil {
		if code == 0 {
			code = 3
		}
		why += fmt.Sprintf("; drain cut short at the %v deadline", f.shutdownTimeout)
	}
	logf("exit %d: %s", code, why)
	return code
}
