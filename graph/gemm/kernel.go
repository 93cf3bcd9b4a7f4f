package gemm

import (
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pkg/errors"
)

// Kernel names returned by Kernel and accepted by the RESNET_GEMM environment variable.
const (
	KernelAVX512  = "avx512"
	KernelAVX2    = "avx2"
	KernelGeneric = "generic"
)

// EnvKernel is the environment variable that forces one Sgemm implementation.
// It is read once, on the first call of Sgemm or Kernel.
const EnvKernel = "RESNET_GEMM"

// kernelFunc is the signature of the assembly micro-kernels.
type kernelFunc func(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// microKernel is one Sgemm implementation with its register tile and cache
// blocking. The generic implementation has a nil tile function.
type microKernel struct {
	name   string
	mr, nr int          // register tile: rows of A broadcast, columns of B in vector registers
	kc     int          // maximum depth of one packed block
	mc     int          // maximum rows of one packed A block
	nc     int          // maximum columns of one packed B block
	pack   packISA      // instruction set of the panel packers
	tile   kernelFunc   // full mr×nr tile
	tileT  kernelFunc   // full tile stored transposed; nil if the kernel has none
	edge   []kernelFunc // edge[r] computes the first r rows of a tile, 0 < r < mr
}

var genericKernel = &microKernel{name: KernelGeneric}

var (
	selectOnce     sync.Once
	selectedKernel atomic.Pointer[microKernel]
	selectErr      error // set once when RESNET_GEMM is invalid
)

// Kernel returns the name of the implementation that Sgemm uses: "avx512",
// "avx2" or "generic". It panics if RESNET_GEMM holds an invalid value or
// names a kernel that this CPU does not support.
func Kernel() string {
	return activeKernel().name
}

// activeKernel returns the kernel chosen from RESNET_GEMM and the CPU features.
func activeKernel() *microKernel {
	selectOnce.Do(func() {
		k, err := chooseKernel(os.Getenv(EnvKernel), availableKernels())
		if err != nil {
			selectErr = err
			return
		}
		selectedKernel.Store(k)
	})
	k := selectedKernel.Load()
	if k == nil {
		panic(selectErr)
	}
	return k
}

// chooseKernel returns the kernel that the value of RESNET_GEMM requests.
// An empty value selects the fastest of the available kernels, which are
// listed fastest first.
func chooseKernel(env string, available []*microKernel) (*microKernel, error) {
	name := strings.ToLower(strings.TrimSpace(env))
	switch name {
	case "":
		if len(available) > 0 {
			return available[0], nil
		}
		return genericKernel, nil
	case KernelGeneric:
		return genericKernel, nil
	case KernelAVX512, KernelAVX2:
		for _, k := range available {
			if k.name == name {
				return k, nil
			}
		}
		return nil, errors.Errorf("gemm: %s=%q requests a kernel that this CPU does not support (available: %s); unset %s or choose one of those",
			EnvKernel, env, availableNames(available), EnvKernel)
	default:
		return nil, errors.Errorf("gemm: invalid %s=%q: set it to %s, %s or %s, or leave it empty for the fastest kernel",
			EnvKernel, env, KernelGeneric, KernelAVX2, KernelAVX512)
	}
}

// availableNames lists the kernel names in available plus generic, comma separated.
func availableNames(available []*microKernel) string {
	names := make([]string, 0, len(available)+1)
	for _, k := range available {
		names = append(names, k.name)
	}
	names = append(names, KernelGeneric)
	return strings.Join(names, ", ")
}
