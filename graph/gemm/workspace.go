package gemm

import (
	"sync"
	"unsafe"
)

// workspace holds one goroutine's packing buffers.
type workspace struct {
	packA []float32 // mc×kc block of A, 64-byte aligned
	packB []float32 // kc×nc block of B, 64-byte aligned
	tile  []float32 // mr×nr result of an edge tile
}

// workspaces keeps the buffers between calls, so after the first calls Sgemm
// allocates nothing.
var workspaces freeList[workspace]

// freeList is a stack of reusable objects. Unlike sync.Pool it keeps them
// across garbage collections, so buffers are not reallocated after each GC.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
}

// maxFree is the maximum number of idle objects per free list. More than the
// number of concurrent calls would only hold memory.
const maxFree = 64

// get pops an object, or allocates a zero one if the list is empty.
func (f *freeList[T]) get() *T {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.items)
	if n == 0 {
		return new(T)
	}
	x := f.items[n-1]
	f.items[n-1] = nil
	f.items = f.items[:n-1]
	return x
}

// put pushes x for reuse, or drops it when the list is full.
func (f *freeList[T]) put(x *T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.items) < maxFree {
		f.items = append(f.items, x)
	}
}

// alignedFloats returns a slice of n floats that starts on a 64-byte
// boundary, so packed panels never split a vector load across cache lines.
// It reuses s when s is large enough and aligned.
func alignedFloats(s []float32, n int) []float32 {
	const lineFloats = 64 / 4
	if cap(s) >= n && uintptr(unsafe.Pointer(unsafe.SliceData(s)))%64 == 0 {
		return s[:n]
	}
	buf := make([]float32, n+lineFloats)
	off := 0
	for uintptr(unsafe.Pointer(&buf[off]))%64 != 0 {
		off++
	}
	return buf[off : off+n : off+n]
}
