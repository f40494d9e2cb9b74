// Go twins of bench/chan_bench.cpp and bench/go_bench.cpp, for side-by-side numbers.
// Run: cd bench/go && go test -bench . -benchtime 1s   (Debian: apt-get install golang-go)
package goxbench

import (
	"sync"
	"testing"
)

// BenchmarkRoundTrip is an unbuffered ping-pong: one round trip per op.
func BenchmarkRoundTrip(b *testing.B) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	for i := 0; i < b.N; i++ {
		ping <- 1
		<-pong
	}
	close(ping)
}

// BenchmarkSPSC is one producer, one consumer over cap 1024, per item.
func BenchmarkSPSC(b *testing.B) {
	ch := make(chan int, 1024)
	go func() {
		for i := 0; i < b.N; i++ {
			ch <- i
		}
	}()
	for i := 0; i < b.N; i++ {
		<-ch
	}
}

// BenchmarkMPMC4x4 is 4 producers and 4 consumers over cap 1024, per item.
func BenchmarkMPMC4x4(b *testing.B) {
	ch := make(chan int, 1024)
	var wg sync.WaitGroup
	per := b.N/4 + 1
	wg.Add(8)
	for p := 0; p < 4; p++ {
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				ch <- i
			}
		}()
	}
	for c := 0; c < 4; c++ {
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				<-ch
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
