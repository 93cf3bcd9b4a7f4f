package safetensors

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// buildFile assembles a safetensors file from a header and a data buffer
// without this package's writer: the 8-byte little-endian header length,
// the header, then the data.
func buildFile(header string, data []byte) []byte {
	n := uint64(len(header))
	out := []byte{
		byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24),
		byte(n >> 32), byte(n >> 40), byte(n >> 48), byte(n >> 56),
	}
	out = append(out, header...)
	return append(out, data...)
}

// handBuiltHeader lists the tensors in alphabetical order while their data
// comes in another order, as files from other writers may do. The header
// is 432 bytes: 427 bytes of JSON and 5 spaces of padding, as the Python
// package pads to a multiple of 8.
const handBuiltHeader = `{"__metadata__":{"format":"pt"},` +
	`"bf":{"dtype":"BF16","shape":[10],"data_offsets":[28,48]},` +
	`"f32":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},` +
	`"f64":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},` +
	`"half":{"dtype":"F16","shape":[2,5],"data_offsets":[48,68]},` +
	`"i32":{"dtype":"I32","shape":[3],"data_offsets":[16,28]},` +
	`"n":{"dtype":"I64","shape":[],"data_offsets":[68,76]},` +
	`"u8":{"dtype":"U8","shape":[3],"data_offsets":[76,79]}}` +
	`     `

// handBuiltData is the data buffer of handBuiltHeader, byte by byte. The
// bit patterns follow IEEE 754-2008 (binary16, binary32, binary64) and the
// bfloat16 layout, which is the upper half of a binary32.
var handBuiltData = []byte{
	// f64: 0.1 = 0x3FB999999999999A
	0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f,
	// f32: 1.5 = 0x3FC00000, -0.25 = 0xBE800000
	0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x80, 0xbe,
	// i32: -7, 123456 = 0x0001E240, 2147483647
	0xf9, 0xff, 0xff, 0xff, 0x40, 0xe2, 0x01, 0x00, 0xff, 0xff, 0xff, 0x7f,
	// bf: 1.0, -2.5, max finite, smallest subnormal, smallest normal,
	// 3.140625, +inf, -inf, NaN, -0
	0x80, 0x3f, 0x20, 0xc0, 0x7f, 0x7f, 0x01, 0x00, 0x80, 0x00,
	0x49, 0x40, 0x80, 0x7f, 0x80, 0xff, 0xc0, 0x7f, 0x00, 0x80,
	// half: 1.0, -2.5, 65504, smallest subnormal, largest subnormal,
	// smallest normal, +inf, -inf, NaN, -0
	0x00, 0x3c, 0x00, 0xc1, 0xff, 0x7b, 0x01, 0x00, 0xff, 0x03,
	0x00, 0x04, 0x00, 0x7c, 0x00, 0xfc, 0x00, 0x7e, 0x00, 0x80,
	// n: 7, as BatchNorm's num_batches_tracked
	0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	// u8
	0x00, 0x7f, 0xff,
}

var (
	negativeZero = float32(math.Copysign(0, -1))
	plusInf      = float32(math.Inf(1))
	minusInf     = float32(math.Inf(-1))
	nan32        = float32(math.NaN())
)

func TestReadHandBuiltFile(t *testing.T) {
	if len(handBuiltHeader) != 432 {
		t.Fatalf("handBuiltHeader has %d bytes, want 432 (a multiple of 8)", len(handBuiltHeader))
	}
	path := filepath.Join(t.TempDir(), "hand.safetensors")
	if err := os.WriteFile(path, buildFile(handBuiltHeader, handBuiltData), 0o644); err != nil {
		t.Fatal(err)
	}
	file, err := Read(path)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}

	t.Run("metadata", func(t *testing.T) {
		if got := file.Metadata["format"]; got != "pt" || len(file.Metadata) != 1 {
			t.Errorf("got metadata %v, want map[format:pt]", file.Metadata)
		}
	})
	t.Run("names in data order", func(t *testing.T) {
		want := []string{"f64", "f32", "i32", "bf", "half", "n", "u8"}
		if !slices.Equal(file.Names, want) {
			t.Errorf("got Names %v, want %v", file.Names, want)
		}
	})
	t.Run("shapes", func(t *testing.T) {
		wantShapes := map[string][]int{
			"f64": {1}, "f32": {2}, "i32": {3}, "bf": {10}, "half": {2, 5}, "n": {}, "u8": {3},
		}
		for name, want := range wantShapes {
			if got := file.Tensors[name].Shape; !slices.Equal(got, want) {
				t.Errorf("tensor %s: got shape %v, want %v", name, got, want)
			}
		}
	})

	floatTests := []struct {
		name string
		want []float32
	}{
		{"f64", []float32{0.1}},
		{"f32", []float32{1.5, -0.25}},
		{"bf", []float32{1, -2.5, 0x1.fep127, 0x1p-133, 0x1p-126, 3.140625, plusInf, minusInf, nan32, negativeZero}},
		{"half", []float32{1, -2.5, 65504, 0x1p-24, 0x1.ff8p-15, 0x1p-14, plusInf, minusInf, nan32, negativeZero}},
	}
	for _, tt := range floatTests {
		t.Run(tt.name+" Float32s", func(t *testing.T) {
			got, err := file.Tensors[tt.name].Float32s()
			if err != nil {
				t.Fatalf("Float32s: %v", err)
			}
			assertFloat32sIdentical(t, got, tt.want)
		})
	}

	t.Run("f64 Float64s exact", func(t *testing.T) {
		got, err := file.Tensors["f64"].Float64s()
		if err != nil {
			t.Fatalf("Float64s: %v", err)
		}
		if len(got) != 1 || got[0] != 0.1 {
			t.Errorf("got %v, want [0.1] exactly", got)
		}
	})

	intTests := []struct {
		name string
		want []int64
	}{
		{"i32", []int64{-7, 123456, math.MaxInt32}},
		{"n", []int64{7}},
		{"u8", []int64{0, 127, 255}},
	}
	for _, tt := range intTests {
		t.Run(tt.name+" Int64s", func(t *testing.T) {
			got, err := file.Tensors[tt.name].Int64s()
			if err != nil {
				t.Fatalf("Int64s: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDecodeUnpaddedUnalignedHeader reads a header without padding whose
// length is not a multiple of 8, which the format allows.
func TestDecodeUnpaddedUnalignedHeader(t *testing.T) {
	header := `{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	if len(header)%8 == 0 {
		t.Fatalf("header has %d bytes, want a length that is not a multiple of 8", len(header))
	}
	raw := buildFile(header, []byte{0x00, 0x00, 0x80, 0x3f})
	file, err := Decode(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	got, err := file.Tensors["w"].Float32s()
	if err != nil {
		t.Fatalf("Float32s: %v", err)
	}
	assertFloat32sIdentical(t, got, []float32{1})
	if file.Metadata == nil || len(file.Metadata) != 0 {
		t.Errorf("got Metadata %v, want an empty non-nil map", file.Metadata)
	}
}

// assertFloat32sIdentical compares bit patterns, except that any NaN
// matches any NaN. The tolerance is zero because every conversion checked
// with it is exact.
func assertFloat32sIdentical(t *testing.T, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range want {
		if math.IsNaN(float64(want[i])) {
			if !math.IsNaN(float64(got[i])) {
				t.Errorf("element %d: got %v, want NaN", i, got[i])
			}
			continue
		}
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("element %d: got %v (bits %#08x), want %v (bits %#08x)",
				i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}
