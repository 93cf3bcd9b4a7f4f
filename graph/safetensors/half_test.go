package safetensors

import (
	"math"
	"math/rand"
	"sort"
	"testing"
)

// f16Reference computes a binary16 value from its fields with the formula
// of IEEE 754-2008 section 3.4, independently of f16ToFloat32.
func f16Reference(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exponent := int(h>>10) & 0x1f
	mantissa := float64(h & 0x3ff)
	switch exponent {
	case 0:
		return sign * mantissa * math.Ldexp(1, -24)
	case 0x1f:
		if mantissa != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	default:
		return sign * (1 + mantissa/1024) * math.Ldexp(1, exponent-15)
	}
}

func TestF16ToFloat32AllPatterns(t *testing.T) {
	for h := 0; h <= 0xffff; h++ {
		got := f16ToFloat32(uint16(h))
		want := f16Reference(uint16(h))
		if math.IsNaN(want) {
			if !math.IsNaN(float64(got)) {
				t.Errorf("f16ToFloat32(%#04x) = %v, want NaN", h, got)
			}
			continue
		}
		// Exact comparison of bits, so that -0 differs from +0.
		if math.Float32bits(got) != math.Float32bits(float32(want)) {
			t.Errorf("f16ToFloat32(%#04x) = %v (bits %#08x), want %v", h, got, math.Float32bits(got), want)
		}
	}
}

func TestF16RoundTripAllPatterns(t *testing.T) {
	for h := 0; h <= 0xffff; h++ {
		widened := f16ToFloat32(uint16(h))
		got := float32ToF16(widened)
		if math.IsNaN(float64(widened)) {
			if got&0x7c00 != 0x7c00 || got&0x3ff == 0 || got&0x8000 != uint16(h)&0x8000 {
				t.Errorf("float32ToF16(NaN from %#04x) = %#04x, want a NaN with the same sign", h, got)
			}
			continue
		}
		if got != uint16(h) {
			t.Errorf("float32ToF16(f16ToFloat32(%#04x)) = %#04x, want %#04x", h, got, h)
		}
	}
}

func TestBF16RoundTripAllPatterns(t *testing.T) {
	for b := 0; b <= 0xffff; b++ {
		widened := bf16ToFloat32(uint16(b))
		if want := uint32(b) << 16; math.Float32bits(widened) != want {
			t.Fatalf("bf16ToFloat32(%#04x) has bits %#08x, want %#08x", b, math.Float32bits(widened), want)
		}
		got := float32ToBF16(widened)
		if math.IsNaN(float64(widened)) {
			if !math.IsNaN(float64(bf16ToFloat32(got))) || got&0x8000 != uint16(b)&0x8000 {
				t.Errorf("float32ToBF16(NaN from %#04x) = %#04x, want a NaN with the same sign", b, got)
			}
			continue
		}
		if got != uint16(b) {
			t.Errorf("float32ToBF16(bf16ToFloat32(%#04x)) = %#04x, want %#04x", b, got, b)
		}
	}
}

// nearestRounder rounds by searching a sorted table of every non-negative
// finite value of a 16-bit format, independently of the bit manipulation
// in half.go. values[i] is the value of bit pattern i, and values has one
// extra entry for the pattern of infinity, holding the value that the next
// exponent would give (2^16 for binary16, 2^128 for bfloat16), as IEEE 754
// rounding defines overflow.
type nearestRounder struct {
	values []float64
}

func newNearestRounder(widen func(uint16) float32, maxFinite uint16, overflowValue float64) nearestRounder {
	values := make([]float64, int(maxFinite)+2)
	for i := 0; i <= int(maxFinite); i++ {
		values[i] = float64(widen(uint16(i)))
	}
	values[int(maxFinite)+1] = overflowValue
	return nearestRounder{values: values}
}

// round returns the bit pattern nearest to f with ties to the even pattern.
func (r nearestRounder) round(f float32) uint16 {
	var sign uint16
	magnitude := float64(f)
	if math.Signbit(magnitude) {
		sign = 0x8000
		magnitude = -magnitude
	}
	last := len(r.values) - 1
	if magnitude >= r.values[last] {
		return sign | uint16(last)
	}
	// hi is the first pattern whose value exceeds magnitude, so lo = hi-1
	// holds the largest value at or below it.
	hi := sort.Search(len(r.values), func(i int) bool { return r.values[i] > magnitude })
	lo := hi - 1
	below := magnitude - r.values[lo]
	above := r.values[hi] - magnitude
	switch {
	case below < above:
		return sign | uint16(lo)
	case above < below:
		return sign | uint16(hi)
	case lo%2 == 0:
		return sign | uint16(lo)
	default:
		return sign | uint16(hi)
	}
}

// roundingInputs returns float32 values that stress rounding: every
// midpoint between neighbouring 16-bit values, one float32 step either
// side of it, and random bit patterns.
func roundingInputs(r nearestRounder, random int) []float32 {
	var inputs []float32
	for i := 0; i+1 < len(r.values); i++ {
		mid := float32((r.values[i] + r.values[i+1]) / 2)
		inputs = append(inputs, mid, -mid,
			math.Nextafter32(mid, 0), math.Nextafter32(mid, float32(math.Inf(1))))
	}
	rng := rand.New(rand.NewSource(1))
	for range random {
		f := math.Float32frombits(rng.Uint32())
		if !math.IsNaN(float64(f)) {
			inputs = append(inputs, f)
		}
	}
	return append(inputs, 0, float32(math.Inf(1)), float32(math.Inf(-1)),
		math.MaxFloat32, math.SmallestNonzeroFloat32, float32(math.Copysign(0, -1)))
}

func TestFloat32ToF16Rounding(t *testing.T) {
	reference := newNearestRounder(f16ToFloat32, 0x7bff, 65536)
	for _, f := range roundingInputs(reference, 1<<20) {
		if got, want := float32ToF16(f), reference.round(f); got != want {
			t.Errorf("float32ToF16(%g, bits %#08x) = %#04x, want %#04x", f, math.Float32bits(f), got, want)
		}
	}
}

func TestFloat32ToBF16Rounding(t *testing.T) {
	reference := newNearestRounder(bf16ToFloat32, 0x7f7f, math.Ldexp(1, 128))
	for _, f := range roundingInputs(reference, 1<<20) {
		if got, want := float32ToBF16(f), reference.round(f); got != want {
			t.Errorf("float32ToBF16(%g, bits %#08x) = %#04x, want %#04x", f, math.Float32bits(f), got, want)
		}
	}
}

func TestFloat32ToF16KnownValues(t *testing.T) {
	tests := []struct {
		name string
		in   float32
		want uint16
	}{
		{"one", 1, 0x3c00},
		{"minus 2.5", -2.5, 0xc100},
		{"max finite", 65504, 0x7bff},
		{"just below overflow", 65519, 0x7bff},
		{"overflow tie rounds to inf", 65520, 0x7c00},
		{"smallest subnormal", 0x1p-24, 0x0001},
		{"half smallest subnormal ties to zero", 0x1p-25, 0x0000},
		{"above half smallest subnormal", 0x1.000002p-25, 0x0001},
		{"largest subnormal", 0x1.ff8p-15, 0x03ff},
		{"smallest normal", 0x1p-14, 0x0400},
		{"tie after one rounds to even", 1 + 0x1p-11, 0x3c00},
		{"tie after odd rounds up", 1 + 3*0x1p-11, 0x3c02},
		{"negative zero", float32(math.Copysign(0, -1)), 0x8000},
		{"plus inf", float32(math.Inf(1)), 0x7c00},
		{"quiet NaN", float32(math.NaN()), 0x7e00},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := float32ToF16(tt.in); got != tt.want {
				t.Errorf("float32ToF16(%g) = %#04x, want %#04x", tt.in, got, tt.want)
			}
		})
	}
}

func TestFloat32ToBF16KnownValues(t *testing.T) {
	tests := []struct {
		name string
		in   float32
		want uint16
	}{
		{"one", 1, 0x3f80},
		{"minus 2.5", -2.5, 0xc020},
		{"pi rounds to 3.140625", math.Pi, 0x4049},
		{"max float32 overflows", math.MaxFloat32, 0x7f80},
		{"tie rounds to even", math.Float32frombits(0x3f808000), 0x3f80},
		{"tie after odd rounds up", math.Float32frombits(0x3f818000), 0x3f82},
		{"smallest subnormal", 0x1p-133, 0x0001},
		{"quiet NaN", float32(math.NaN()), 0x7fc0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := float32ToBF16(tt.in); got != tt.want {
				t.Errorf("float32ToBF16(%g) = %#04x, want %#04x", tt.in, got, tt.want)
			}
		})
	}
}
