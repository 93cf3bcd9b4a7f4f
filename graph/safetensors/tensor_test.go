package safetensors

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestTensorFloat32s(t *testing.T) {
	tests := []struct {
		name   string
		tensor *Tensor
		want   []float32
	}{
		{"F32", F32("w", []int{3}, []float32{1, -0.5, 3e38}), []float32{1, -0.5, 3e38}},
		{"F64 rounds to nearest", F64("w", []int{3}, []float64{0.1, 1 + 0x1p-30, 1e300}), []float32{0.1, 1, plusInf}},
		{"F16", F16("w", []int{2}, []float32{0.1, 70000}), []float32{0x1.998p-4, plusInf}},
		{"BF16", BF16("w", []int{2}, []float32{0.1, -1}), []float32{0x1.9ap-4, -1}},
		{"scalar", F32("s", nil, []float32{4}), []float32{4}},
		{"empty", F32("e", []int{2, 0}, nil), []float32{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.tensor.Float32s()
			if err != nil {
				t.Fatalf("Float32s: %v", err)
			}
			assertFloat32sIdentical(t, got, tt.want)
		})
	}
}

func TestTensorFloat64s(t *testing.T) {
	tests := []struct {
		name   string
		tensor *Tensor
		want   []float64
	}{
		{"F64 exact", F64("w", []int{2}, []float64{0.1, -math.MaxFloat64}), []float64{0.1, -math.MaxFloat64}},
		{"F32 widens exactly", F32("w", []int{1}, []float32{0.1}), []float64{float64(float32(0.1))}},
		{"F16 widens exactly", F16("w", []int{1}, []float32{0x1p-24}), []float64{0x1p-24}},
		{"BF16 widens exactly", BF16("w", []int{1}, []float32{-2.5}), []float64{-2.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.tensor.Float64s()
			if err != nil {
				t.Fatalf("Float64s: %v", err)
			}
			// Tolerance zero: every conversion here is exact.
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTensorInt64s(t *testing.T) {
	tests := []struct {
		name   string
		tensor *Tensor
		want   []int64
	}{
		{"I64", I64("n", nil, []int64{math.MinInt64}), []int64{math.MinInt64}},
		{"I32 sign extends", I32("n", []int{2}, []int32{-1, math.MaxInt32}), []int64{-1, math.MaxInt32}},
		{"U8 zero extends", U8("n", []int{2}, []uint8{255, 0}), []int64{255, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.tensor.Int64s()
			if err != nil {
				t.Fatalf("Int64s: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTensorAccessorErrors(t *testing.T) {
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"Float32s of I64", func() error { _, err := I64("bn1.num_batches_tracked", nil, []int64{1}).Float32s(); return err },
			`tensor "bn1.num_batches_tracked": dtype I64 is not a floating-point type; use Int64s`},
		{"Float64s of U8", func() error { _, err := U8("u", []int{1}, []uint8{1}).Float64s(); return err }, "not a floating-point type"},
		{"Int64s of F32", func() error { _, err := F32("w", []int{1}, []float32{1}).Int64s(); return err },
			`tensor "w": dtype F32 is not an integer type; use Float32s or Float64s`},
		{"data shorter than shape", func() error { _, err := F32("w", []int{2, 2}, []float32{1}).Float32s(); return err },
			`tensor "w": shape [2 2] of dtype F32 needs 16 bytes but Data has 4`},
		{"F64 data shorter than shape", func() error { _, err := F64("w", []int{2}, nil).Float64s(); return err }, "needs 16 bytes"},
		{"unsupported dtype", func() error { _, err := (&Tensor{Name: "w", Dtype: "F8_E5M2"}).Float32s(); return err }, `unsupported dtype "F8_E5M2"`},
		{"negative dimension", func() error { _, err := (&Tensor{Name: "w", Dtype: DtypeU8, Shape: []int{-1}}).Int64s(); return err }, "dimension 0 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestConstructorsCopyInput(t *testing.T) {
	shape := []int{2}
	data := []uint8{1, 2}
	tensor := U8("u", shape, data)
	shape[0] = 9
	data[0] = 9
	if tensor.Shape[0] != 2 || tensor.Data[0] != 1 {
		t.Errorf("got shape %v and data %v after changing the inputs, want [2] and [1 2]", tensor.Shape, tensor.Data)
	}
}

func TestNumElements(t *testing.T) {
	tests := []struct {
		shape []int
		want  int
	}{
		{nil, 1},
		{[]int{0}, 0},
		{[]int{64, 3, 7, 7}, 9408},
	}
	for _, tt := range tests {
		if got := (&Tensor{Shape: tt.shape}).NumElements(); got != tt.want {
			t.Errorf("NumElements of shape %v: got %d, want %d", tt.shape, got, tt.want)
		}
	}
}
