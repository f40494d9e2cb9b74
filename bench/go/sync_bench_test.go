// Go twins of bench/sync_bench.cpp: sync.Mutex, sync.RWMutex, sync.Pool, atomic.Value,
// and lesson 10's starvation scenario. Threaded benchmarks start exactly N goroutines
// (not RunParallel's GOMAXPROCS multiple) and report wall time per op over all of them,
// as Google Benchmark's real_time with threads:N does.
package goxbench

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// parallel runs body(ops) on n goroutines that share b.N ops, and times them together.
func parallel(b *testing.B, n int, body func(ops int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(n)
	for g := 0; g < n; g++ {
		ops := b.N / n
		if g < b.N%n {
			ops++
		}
		go func() {
			defer wg.Done()
			<-start
			body(ops)
		}()
	}
	b.ResetTimer()
	close(start)
	wg.Wait()
}

func BenchmarkMutexUncontended(b *testing.B) {
	var mu sync.Mutex
	n := 0
	for i := 0; i < b.N; i++ {
		mu.Lock()
		n++
		mu.Unlock()
	}
	sinkInt = n
}

var sinkInt int

func BenchmarkMutexContended(b *testing.B) {
	for _, threads := range []int{2, 4} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			var mu sync.Mutex
			count := 0
			owner, handoffs := -1, 0 // guarded by mu, as in bench/sync_bench.cpp
			var ids atomic.Int32
			before := usageNow()
			parallel(b, threads, func(ops int) {
				me := int(ids.Add(1))
				for i := 0; i < ops; i++ {
					mu.Lock()
					count++
					if owner != me {
						owner = me
						handoffs++
					}
					mu.Unlock()
				}
			})
			reportUsage(b, before)
			b.ReportMetric(float64(handoffs)*1000/float64(b.N), "handoffs/kop")
			sinkInt = count
		})
	}
}

func BenchmarkRWMutexReadMostly(b *testing.B) {
	for _, threads := range []int{2, 4} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			var rw sync.RWMutex
			shared := 0
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() { // the writer: Lock, write, Unlock, sleep 100 us
				defer close(done)
				for {
					select {
					case <-stop:
						return
					default:
					}
					rw.Lock()
					shared++
					rw.Unlock()
					time.Sleep(100 * time.Microsecond)
				}
			}()
			var total atomic.Int64
			before := usageNow()
			parallel(b, threads, func(ops int) {
				sum := 0
				for i := 0; i < ops; i++ {
					rw.RLock()
					sum += shared
					rw.RUnlock()
				}
				total.Add(int64(sum))
			})
			b.StopTimer()
			reportUsage(b, before)
			close(stop)
			<-done
		})
	}
}

type buf4k [4096]byte

var pool4k = sync.Pool{New: func() any { return new(buf4k) }}

var sinkBuf *buf4k

func threadCounts() []int {
	if n := runtime.GOMAXPROCS(0); n > 1 {
		return []int{1, n}
	}
	return []int{1}
}

func BenchmarkPoolGetPut4K(b *testing.B) {
	for _, threads := range threadCounts() {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			parallel(b, threads, func(ops int) {
				for i := 0; i < ops; i++ {
					p := pool4k.Get().(*buf4k)
					p[0] = 1
					p[4095] = 2
					pool4k.Put(p)
				}
			})
		})
	}
}

// BenchmarkAlloc4K is the twin of new+delete: a heap allocation (zeroed, as Go's are)
// that the garbage collector reclaims.
func BenchmarkAlloc4K(b *testing.B) {
	for _, threads := range threadCounts() {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			var mu sync.Mutex
			parallel(b, threads, func(ops int) {
				var last *buf4k
				for i := 0; i < ops; i++ {
					p := new(buf4k)
					p[0] = 1
					p[4095] = 2
					last = p
				}
				mu.Lock()
				sinkBuf = last // escapes: every new(buf4k) goes to the heap
				mu.Unlock()
			})
		})
	}
}

type config struct{ version, limit int64 }

func BenchmarkAtomicValueLoad(b *testing.B) {
	for _, writer := range []int{0, 1} {
		b.Run(fmt.Sprintf("writer=%d", writer), func(b *testing.B) {
			var v atomic.Value
			v.Store(&config{0, 100})
			var stop atomic.Bool
			var stores atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := int64(1); writer != 0 && !stop.Load(); i++ {
					v.Store(&config{i, 100})
					stores.Add(1)
				}
			}()
			b.ResetTimer()
			var sum int64
			for i := 0; i < b.N; i++ {
				sum += v.Load().(*config).limit
			}
			b.StopTimer()
			stop.Store(true)
			<-done
			sinkInt = int(sum)
			b.ReportMetric(float64(stores.Load()), "stores")
		})
	}
}

// starvation runs lesson 10's scenario once on sync.Mutex: a hog re-locks at once
// and sleeps 100 us inside the lock; a waiter sleeps 100 us, then locks. It returns
// the waiter's sorted waits in ns and the hog's acquisitions.
func starvation(run time.Duration) ([]float64, int) {
	var mu sync.Mutex
	var stop atomic.Bool
	var waits []float64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			time.Sleep(100 * time.Microsecond)
			asked := time.Now()
			mu.Lock()
			got := time.Now()
			mu.Unlock()
			waits = append(waits, float64(got.Sub(asked).Nanoseconds()))
		}
	}()
	hog := 0
	for end := time.Now().Add(run); time.Now().Before(end); hog++ {
		mu.Lock()
		time.Sleep(100 * time.Microsecond)
		mu.Unlock()
	}
	stop.Store(true)
	<-done
	sort.Float64s(waits)
	return waits, hog
}

// BenchmarkMutexStarvationWait reports the waiter's wait percentile as ns/op, over
// b.N runs of 250 ms (run it with -benchtime 1x).
func BenchmarkMutexStarvationWait(b *testing.B) {
	for _, pct := range []int{50, 99, 100} {
		b.Run(fmt.Sprintf("pct=%d", pct), func(b *testing.B) {
			var all []float64
			hog := 0
			for i := 0; i < b.N; i++ {
				w, h := starvation(250 * time.Millisecond)
				all = append(all, w...)
				hog += h
			}
			sort.Float64s(all)
			pick := 0.0
			if len(all) > 0 {
				i := len(all) * pct / 100
				if i >= len(all) {
					i = len(all) - 1
				}
				pick = all[i]
			}
			b.ReportMetric(pick, "ns/op")
			b.ReportMetric(float64(len(all)), "waiter_acq")
			b.ReportMetric(float64(hog), "hog_acq")
		})
	}
}
