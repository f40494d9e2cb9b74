// Go twins of bench/context_bench.cpp (names: BM_X <-> BenchmarkX, see bench/twins/).
package goxbench

import (
	"context"
	"testing"
	"time"
)

type ctxKey string

func BenchmarkWithCancelCreateCancel(b *testing.B) {
	parent, cancelParent := context.WithCancel(context.Background())
	defer cancelParent()
	for _, p := range []struct {
		name string
		ctx  context.Context
	}{{"parent=Background", context.Background()}, {"parent=WithCancel", parent}} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ctx, cancel := context.WithCancel(p.ctx)
				cancel()
				_ = ctx
			}
		})
	}
}

func BenchmarkWithTimeoutCreateCancel(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_, cancel := context.WithTimeout(context.Background(), time.Hour)
		cancel()
	}
}

// BenchmarkCancelPropagation times only cancel() of a parent with 1000 children.
func BenchmarkCancelPropagation1000(b *testing.B) { cancelPropagation(b, false) }

// BenchmarkCancelPropagation1000DoneCalled (no gox twin) is the same with Done()
// called on every child first: Go makes a child's channel lazily, so without it
// cancel() closes no channel at all.
func BenchmarkCancelPropagation1000DoneCalled(b *testing.B) { cancelPropagation(b, true) }

func cancelPropagation(b *testing.B, callDone bool) {
	b.ReportAllocs() // counts only while the timer runs: inside cancel()
	const n = 1000
	kids := make([]context.CancelFunc, n)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		parent, cancel := context.WithCancel(context.Background())
		for k := 0; k < n; k++ {
			var kid context.Context
			kid, kids[k] = context.WithCancel(parent) // cancelled by its parent
			if callDone {
				kid.Done()
			}
		}
		b.StartTimer()
		cancel()
		b.StopTimer()
		for _, c := range kids {
			c() // a no-op now: keeps vet's lostcancel check quiet
		}
		b.StartTimer()
	}
}

var sinkErr error

func BenchmarkErr(b *testing.B) {
	b.ReportAllocs()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < b.N; i++ {
		sinkErr = ctx.Err()
	}
}

var sinkBool bool

func BenchmarkDonePoll(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := ctx.Done()
	for i := 0; i < b.N; i++ {
		closed := false
		select {
		case <-done:
			closed = true
		default:
		}
		sinkBool = closed
	}
}

var sinkAny any

func BenchmarkValue(b *testing.B) {
	for _, depth := range []int{1, 10} {
		ctx := context.WithValue(context.Background(), ctxKey("key"), 1)
		for i := 0; i < depth; i++ {
			ctx = context.WithValue(ctx, ctxKey("other"), i)
		}
		b.Run("depth="+itoa(depth), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sinkAny = ctx.Value(ctxKey("key"))
			}
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
