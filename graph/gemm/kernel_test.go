package gemm

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestChooseKernel(t *testing.T) {
	fakeAVX512 := &microKernel{name: KernelAVX512}
	fakeAVX2 := &microKernel{name: KernelAVX2}
	both := []*microKernel{fakeAVX512, fakeAVX2}
	tests := []struct {
		env       string
		available []*microKernel
		want      string // kernel name; empty when an error is expected
		wantErr   string
	}{
		{env: "", available: both, want: KernelAVX512},
		{env: "", available: []*microKernel{fakeAVX2}, want: KernelAVX2},
		{env: "", available: nil, want: KernelGeneric},
		{env: "generic", available: both, want: KernelGeneric},
		{env: "avx2", available: both, want: KernelAVX2},
		{env: " AVX512 ", available: both, want: KernelAVX512},
		{env: "avx512", available: []*microKernel{fakeAVX2}, wantErr: `RESNET_GEMM="avx512" requests a kernel that this CPU does not support (available: avx2, generic)`},
		{env: "avx2", available: nil, wantErr: "(available: generic)"},
		{env: "fast", available: both, wantErr: `invalid RESNET_GEMM="fast": set it to generic, avx2 or avx512`},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			got, err := chooseKernel(tt.env, tt.available)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want kernel %s", err, tt.want)
			}
			if got.name != tt.want {
				t.Errorf("got kernel %s, want %s", got.name, tt.want)
			}
		})
	}
}

// helperEnv marks the child process that TestKernelEnvVariable starts.
const helperEnv = "GEMM_TEST_KERNEL_HELPER"

// TestKernelEnvVariable runs this test binary with RESNET_GEMM set and checks
// what Kernel reports, as a program that imports the package would see it.
func TestKernelEnvVariable(t *testing.T) {
	if os.Getenv(helperEnv) == "1" {
		// Child process: print the kernel, or the panic, then stop.
		defer func() {
			if r := recover(); r != nil {
				os.Stdout.WriteString("panic: " + panicText(r) + "\n")
			}
			os.Exit(0)
		}()
		os.Stdout.WriteString("kernel: " + Kernel() + "\n")
		return
	}

	best := KernelGeneric
	if ks := availableKernels(); len(ks) > 0 {
		best = ks[0].name
	}
	tests := []struct {
		env  string
		want string
	}{
		{"", "kernel: " + best},
		{"generic", "kernel: generic"},
		{"nonsense", `panic: gemm: invalid RESNET_GEMM="nonsense"`},
	}
	for _, k := range availableKernels() {
		tests = append(tests, struct{ env, want string }{k.name, "kernel: " + k.name})
	}
	for _, tt := range tests {
		t.Run("RESNET_GEMM="+tt.env, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestKernelEnvVariable$")
			cmd.Env = append(os.Environ(), helperEnv+"=1", EnvKernel+"="+tt.env)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child process failed: %v\n%s", err, out)
			}
			if !strings.HasPrefix(string(out), tt.want) {
				t.Errorf("got output %q, want it to start with %q", out, tt.want)
			}
		})
	}
}

func panicText(r any) string {
	if err, ok := r.(error); ok {
		return err.Error()
	}
	return "non-error panic value"
}
