package gemm

import (
	"fmt"
	"strings"
	"testing"
)

// TestSgemmInvalidArgs checks that caller mistakes panic with a message that
// names the argument, and that valid empty calls do not panic.
func TestSgemmInvalidArgs(t *testing.T) {
	s := make([]float32, 100)
	tests := []struct {
		name   string
		call   func()
		panics string // substring of the panic message; empty means no panic
	}{
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, s, 2, s, 2, 0, s, 2) }, "invalid size m=-1"},
		{"negative n", func() { Sgemm(false, false, 2, -3, 2, 1, s, 2, s, 2, 0, s, 2) }, "invalid size m=2 n=-3"},
		{"negative k", func() { Sgemm(false, false, 2, 2, -1, 1, s, 2, s, 2, 0, s, 2) }, "k=-1"},
		{"lda below k", func() { Sgemm(false, false, 3, 4, 5, 1, s, 4, s, 4, 0, s, 4) }, "invalid lda=4"},
		{"lda below m with transA", func() { Sgemm(true, false, 3, 4, 5, 1, s, 2, s, 4, 0, s, 4) }, "invalid lda=2: A is stored as 5×3"},
		{"ldb below n", func() { Sgemm(false, false, 3, 4, 5, 1, s, 5, s, 3, 0, s, 4) }, "invalid ldb=3"},
		{"ldb below k with transB", func() { Sgemm(false, true, 3, 4, 5, 1, s, 5, s, 4, 0, s, 4) }, "invalid ldb=4: B is stored as 4×5"},
		{"ldc below n", func() { Sgemm(false, false, 3, 4, 5, 1, s, 5, s, 4, 0, s, 3) }, "invalid ldc=3"},
		{"zero ld with empty matrix", func() { Sgemm(false, false, 0, 0, 0, 1, nil, 0, nil, 0, 0, nil, 0) }, "invalid lda=0"},
		{"short A", func() { Sgemm(false, false, 3, 4, 5, 1, s[:14], 5, s, 4, 0, s, 4) }, "slice A is too short: len 14"},
		{"short A with padding", func() { Sgemm(false, false, 3, 4, 5, 1, s[:20], 8, s, 4, 0, s, 4) }, "needs at least 21"},
		{"short B", func() { Sgemm(false, true, 3, 4, 5, 1, s, 5, s[:19], 5, 0, s, 4) }, "slice B is too short: len 19"},
		{"short C", func() { Sgemm(false, false, 3, 4, 5, 1, s, 5, s, 4, 0, s[:11], 4) }, "slice C is too short: len 11"},
		{"exact lengths", func() { Sgemm(false, false, 3, 4, 5, 1, s[:15], 5, s[:20], 4, 0, s[:12], 4) }, ""},
		{"exact lengths with padding", func() { Sgemm(true, true, 3, 4, 5, 1, s[:4*7+3], 7, s[:3*6+5], 6, 0, s[:2*9+4], 9) }, ""},
		{"nil A and B with k=0", func() { Sgemm(false, false, 3, 4, 0, 1, nil, 1, nil, 4, 0, s, 4) }, ""},
		{"nil everything with m=0", func() { Sgemm(false, false, 0, 4, 5, 1, nil, 5, nil, 4, 0, nil, 4) }, ""},
	}
	for _, kern := range testKernels() {
		for _, tt := range tests {
			t.Run(kern.name+"/"+tt.name, func(t *testing.T) {
				useKernel(t, kern)
				got := panicMessage(tt.call)
				if tt.panics == "" && got != "" {
					t.Fatalf("got panic %q, want none", got)
				}
				if !strings.Contains(got, tt.panics) {
					t.Fatalf("got panic %q, want one containing %q", got, tt.panics)
				}
				if tt.panics != "" && !strings.HasPrefix(got, "gemm: ") {
					t.Errorf("got panic %q, want the prefix \"gemm: \"", got)
				}
			})
		}
	}
}

// TestDgemmInvalidArgs checks that Dgemm applies the same argument checks.
func TestDgemmInvalidArgs(t *testing.T) {
	s := make([]float64, 100)
	tests := []struct {
		name   string
		call   func()
		panics string
	}{
		{"negative k", func() { Dgemm(false, false, 2, 2, -1, 1, s, 2, s, 2, 0, s, 2) }, "invalid size m=2 n=2 k=-1"},
		{"ldc below n", func() { Dgemm(false, false, 3, 4, 5, 1, s, 5, s, 4, 0, s, 3) }, "invalid ldc=3"},
		{"short B", func() { Dgemm(false, false, 3, 4, 5, 1, s, 5, s[:19], 4, 0, s, 4) }, "slice B is too short: len 19"},
		{"nil A and B with k=0", func() { Dgemm(false, false, 3, 4, 0, 1, nil, 1, nil, 4, 0, s, 4) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := panicMessage(tt.call)
			if tt.panics == "" && got != "" {
				t.Fatalf("got panic %q, want none", got)
			}
			if !strings.Contains(got, tt.panics) {
				t.Fatalf("got panic %q, want one containing %q", got, tt.panics)
			}
		})
	}
}

// panicMessage runs call and returns its panic value as text, or "" if it
// returned normally.
func panicMessage(call func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	call()
	return ""
}
