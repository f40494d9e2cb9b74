// Go twins of bench/go_bench.cpp, bench/errgroup_bench.cpp and
// bench/goroutines_bench.cpp (pairs: bench/twins/go.txt). The 1000-goroutine
// WaitGroup twin is BenchmarkGoWaitGroup1000 in chan_bench_test.go.
// Run: cd bench/go && go test -bench 'Burst|Blocked|ErrGroup|Chain|Sieve'
package goxbench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// rssKB is this process's resident set size in KiB.
func rssKB() float64 {
	f, err := os.Open("/proc/self/statm")
	if err != nil {
		return 0
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return 0
	}
	pages, _ := strconv.ParseFloat(fields[1], 64)
	return pages * float64(os.Getpagesize()) / 1024
}

// BenchmarkGoBurst10000 starts 10,000 trivial goroutines and waits for them.
func BenchmarkGoBurst10000(b *testing.B) {
	var sum int64
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		wg.Add(10000)
		for j := 0; j < 10000; j++ {
			go func() {
				atomic.AddInt64(&sum, 1)
				wg.Done()
			}()
		}
		wg.Wait()
	}
}

// BenchmarkBlockedRelease10000 blocks 10,000 goroutines on one channel, then
// closes it; rss_kB/goroutine is the RSS growth while all are blocked.
// Measured once per process, on the first run (as the gox side): later runs
// reuse the goroutines' freed stacks.
var blockedBase, blockedPer float64

func BenchmarkBlockedRelease10000(b *testing.B) {
	const n = 10000
	if blockedBase == 0 {
		runtime.GC()
		blockedBase = rssKB()
	}
	for i := 0; i < b.N; i++ {
		release := make(chan int)
		var blocked, done sync.WaitGroup
		blocked.Add(n)
		done.Add(n)
		for j := 0; j < n; j++ {
			go func() {
				blocked.Done()
				<-release
				done.Done()
			}()
		}
		blocked.Wait()
		if blockedPer == 0 {
			blockedPer = (rssKB() - blockedBase) / n
		}
		close(release)
		done.Wait()
	}
	b.ReportMetric(blockedPer, "rss_kB/goroutine")
}

// errGroup is golang.org/x/sync/errgroup.Group without a context or limit,
// line for line (the module is not fetched here: stdlib only).
type errGroup struct {
	wg      sync.WaitGroup
	errOnce sync.Once
	err     error
}

func (g *errGroup) Go(f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.errOnce.Do(func() { g.err = err })
		}
	}()
}

func (g *errGroup) Wait() error {
	g.wg.Wait()
	return g.err
}

// BenchmarkErrGroup1000 runs 1000 trivial tasks in a group, then Wait.
func BenchmarkErrGroup1000(b *testing.B) {
	var sink int64
	for i := 0; i < b.N; i++ {
		var g errGroup
		for j := 0; j < 1000; j++ {
			g.Go(func() error {
				atomic.AddInt64(&sink, 1)
				return nil
			})
		}
		_ = g.Wait()
	}
}

// chain is test/chan/goroutines.go: n goroutines pass one value down a chain.
func chain(n int) int {
	leftmost := make(chan int)
	left, right := leftmost, leftmost
	for i := 0; i < n; i++ {
		right = make(chan int)
		go func(l, r chan int) { l <- 1 + <-r }(left, right)
		left = right
	}
	right <- 0
	return <-leftmost
}

func BenchmarkChain(b *testing.B) {
	for _, n := range []int{1000, 10000, 30000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if chain(n) != n {
					b.Fatal("chain lost a value")
				}
			}
		})
	}
}

// sieve is test/chan/sieve1.go's concurrent prime sieve, until `primes` primes;
// it stops and drains the same way as the gox port.
func sieve(primes int) int {
	var stop atomic.Bool
	ch := make(chan int)
	go func(ch chan int) {
		for i := 2; !stop.Load(); i++ {
			ch <- i
		}
		close(ch)
	}(ch)
	last := 0
	for k := 0; k < primes; k++ {
		p := <-ch
		last = p
		out := make(chan int)
		go func(in, out chan int, p int) {
			for v := range in {
				if v%p != 0 {
					out <- v
				}
			}
			close(out)
		}(ch, out, p)
		ch = out
	}
	stop.Store(true)
	for range ch {
	}
	return last
}

func BenchmarkSieve(b *testing.B) {
	b.Run("1000", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if sieve(1000) != 7919 {
				b.Fatal("wrong 1000th prime")
			}
		}
	})
}
