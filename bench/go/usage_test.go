package goxbench

import (
	"syscall"
	"testing"
)

// usage is the process's voluntary context switches and CPU time so far. Benchmarks
// that hand work between threads report them per op, as bench/chan_bench.cpp and
// bench/sync_bench.cpp do: vcsw/kop (per 1000 ops), cpu-ns/op (user + system: about
// 2x the wall time when both threads stay on a core), sys-ns/op (system only).
type usage struct{ vcsw, cpuNs, sysNs int64 }

func usageNow() usage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return usage{ru.Nvcsw, ru.Utime.Nano() + ru.Stime.Nano(), ru.Stime.Nano()}
}

func reportUsage(b *testing.B, before usage) {
	now := usageNow()
	n := float64(b.N)
	b.ReportMetric(float64(now.vcsw-before.vcsw)*1000/n, "vcsw/kop")
	b.ReportMetric(float64(now.cpuNs-before.cpuNs)/n, "cpu-ns/op")
	b.ReportMetric(float64(now.sysNs-before.sysNs)/n, "sys-ns/op")
}
