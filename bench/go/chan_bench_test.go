// Go twins of bench/chan_bench.cpp and bench/go_bench.cpp, for side-by-side numbers
// (pairs in bench/twins/chan.txt).
// Run: cd bench/go && go test -bench . -benchtime 1s   (Debian: apt-get install golang-go)
package goxbench

import (
	"fmt"
	"sync"
	"testing"
)

// BenchmarkChan is the matrix of bench/chan_bench.cpp (see its header for the
// workloads): BenchmarkChan/<workload>/<cap>, one op = one item moved.
func BenchmarkChan(b *testing.B) {
	workloads := []struct {
		name string
		run  func(n, capacity int)
	}{
		{"seq", seq}, {"spsc", spsc}, {"mpsc", mpsc}, {"mpmc", mpmc},
		{"select_rx", selectRx}, {"select_both", selectBoth},
	}
	for _, w := range workloads {
		for _, c := range []int{0, 1, 1024} {
			w, c := w, c
			b.Run(fmt.Sprintf("%s/%d", w.name, c), func(b *testing.B) {
				before := usageNow()
				w.run(b.N, c)
				reportUsage(b, before)
			})
		}
	}
}

const threads = 4

// share is part i of n items split into k parts.
func share(n, k, i int) int {
	if i < n%k {
		return n/k + 1
	}
	return n / k
}

func seq(n, capacity int) {
	if capacity == 0 { // ping-pong round trip between two goroutines
		ping, pong := make(chan int), make(chan int)
		go func() {
			for i := 0; i < n; i++ {
				pong <- <-ping
			}
		}()
		for i := 0; i < n; i++ {
			ping <- 1
			<-pong
		}
		return
	}
	ch := make(chan int, capacity)
	for done := 0; done < n; {
		batch := capacity
		if n-done < batch {
			batch = n - done
		}
		for i := 0; i < batch; i++ {
			ch <- i
		}
		for i := 0; i < batch; i++ {
			<-ch
		}
		done += batch
	}
}

func producers(ch chan int, n, k int) {
	for t := 0; t < k; t++ {
		go func(m int) {
			for i := 0; i < m; i++ {
				ch <- i
			}
		}(share(n, k, t))
	}
}

func spsc(n, capacity int) {
	ch := make(chan int, capacity)
	producers(ch, n, 1)
	for i := 0; i < n; i++ {
		<-ch
	}
}

func mpsc(n, capacity int) {
	ch := make(chan int, capacity)
	producers(ch, n, threads)
	for i := 0; i < n; i++ {
		<-ch
	}
}

func mpmc(n, capacity int) {
	ch := make(chan int, capacity)
	producers(ch, n, threads)
	var wg sync.WaitGroup
	wg.Add(threads)
	for t := 0; t < threads; t++ {
		go func(m int) {
			defer wg.Done()
			for i := 0; i < m; i++ {
				<-ch
			}
		}(share(n, threads, t))
	}
	wg.Wait()
}

func selectRx(n, capacity int) {
	cs := make([]chan int, threads)
	for t := range cs {
		cs[t] = make(chan int, capacity)
		go func(ch chan int, m int) {
			for i := 0; i < m; i++ {
				ch <- i
			}
		}(cs[t], share(n, threads, t))
	}
	for i := 0; i < n; i++ {
		select {
		case <-cs[0]:
		case <-cs[1]:
		case <-cs[2]:
		case <-cs[3]:
		}
	}
}

func selectBoth(n, capacity int) {
	cs := make([]chan int, threads)
	for t := range cs {
		cs[t] = make(chan int, capacity)
	}
	var wg sync.WaitGroup
	wg.Add(2 * threads)
	for t := 0; t < threads; t++ {
		m := share(n, threads, t)
		go func() {
			defer wg.Done()
			for i := 0; i < m; i++ {
				select {
				case cs[0] <- i:
				case cs[1] <- i:
				case cs[2] <- i:
				case cs[3] <- i:
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < m; i++ {
				select {
				case <-cs[0]:
				case <-cs[1]:
				case <-cs[2]:
				case <-cs[3]:
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkSelect2 selects over two ready channels, refilling the one it took from.
func BenchmarkSelect2(b *testing.B) {
	a, c := make(chan int, 16), make(chan int, 16)
	for i := 0; i < 8; i++ {
		a <- i
		c <- i
	}
	for i := 0; i < b.N; i++ {
		select {
		case v := <-a:
			a <- v
		case v := <-c:
			c <- v
		}
	}
}

// BenchmarkGoWaitGroup1000 starts 1000 trivial goroutines and waits for them.
func BenchmarkGoWaitGroup1000(b *testing.B) {
	var sum int64
	var mu sync.Mutex
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		wg.Add(1000)
		for j := 0; j < 1000; j++ {
			go func() {
				mu.Lock()
				sum++
				mu.Unlock()
				wg.Done()
			}()
		}
		wg.Wait()
	}
}
