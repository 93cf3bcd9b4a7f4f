//go:build !amd64 || purego

package gemm

// availableKernels returns no assembly kernels: off amd64, or with the purego
// build tag, Sgemm always uses the generic path.
func availableKernels() []*microKernel { return nil }
