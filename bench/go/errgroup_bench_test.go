// Go twins of bench/errgroup_bench.cpp: 1000 trivial tasks per op.
package goxbench

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sync/errgroup"
)

const tasks = 1000

func BenchmarkErrGroupGoWait1000(b *testing.B) {
	var sink atomic.Int64
	for i := 0; i < b.N; i++ {
		var g errgroup.Group
		for k := 0; k < tasks; k++ {
			g.Go(func() error { sink.Add(1); return nil })
		}
		sinkErr = g.Wait()
	}
}

func BenchmarkErrGroupWithContext1000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		g, ctx := errgroup.WithContext(context.Background())
		for k := 0; k < tasks; k++ {
			g.Go(func() error { return ctx.Err() })
		}
		sinkErr = g.Wait()
	}
}

func BenchmarkErrGroupLimit4_1000(b *testing.B) {
	var sink atomic.Int64
	for i := 0; i < b.N; i++ {
		var g errgroup.Group
		g.SetLimit(4)
		for k := 0; k < tasks; k++ {
			g.Go(func() error { sink.Add(1); return nil })
		}
		sinkErr = g.Wait()
	}
}

// BenchmarkErrGroupBaselineGoWaitGroup1000 is the baseline: go + sync.WaitGroup.
func BenchmarkErrGroupBaselineGoWaitGroup1000(b *testing.B) {
	var sink atomic.Int64
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		wg.Add(tasks)
		for k := 0; k < tasks; k++ {
			go func() { sink.Add(1); wg.Done() }()
		}
		wg.Wait()
	}
}
