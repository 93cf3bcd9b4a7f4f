package safetensors

import "math"

// Conversions between float32 and the two 16-bit float formats. Widening is
// exact. Narrowing rounds to the nearest value with ties to even, as IEEE 754
// requires for the default rounding mode, and keeps NaN a (quiet) NaN.

// f16ToFloat32 widens an IEEE 754 binary16 value: 1 sign bit, 5 exponent
// bits with bias 15, 10 mantissa bits.
func f16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exponent := uint32(h>>10) & 0x1f
	mantissa := uint32(h & 0x3ff)

	switch exponent {
	case 0:
		// Zero or subnormal: mantissa * 2^-24, exact in float32.
		value := float32(mantissa) * float32(math.Ldexp(1, -24))
		return math.Float32frombits(math.Float32bits(value) | sign)
	case 0x1f:
		// Infinity or NaN. Shifting the mantissa keeps the quiet bit and payload.
		return math.Float32frombits(sign | 0x7f800000 | mantissa<<13)
	default:
		return math.Float32frombits(sign | (exponent+127-15)<<23 | mantissa<<13)
	}
}

// float32ToF16 narrows to binary16. Magnitudes at or above 65520 become
// infinity, and magnitudes at or below 2^-25 become zero.
func float32ToF16(f float32) uint16 {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exponent := int32(bits>>23) & 0xff
	mantissa := bits & 0x7fffff

	if exponent == 0xff {
		if mantissa != 0 {
			return sign | 0x7e00 | uint16(mantissa>>13)
		}
		return sign | 0x7c00
	}

	// halfExponent is the biased binary16 exponent of the value.
	halfExponent := exponent - 127 + 15
	if halfExponent >= 0x1f {
		return sign | 0x7c00
	}
	if halfExponent <= 0 {
		// The result is subnormal or zero. Values below 2^-25 round to zero
		// (halfExponent < -10), including float32 subnormals.
		if halfExponent < -10 {
			return sign
		}
		significand := mantissa | 0x800000
		shift := uint32(14 - halfExponent)
		return sign | uint16(roundShiftEven(significand, shift))
	}

	// A carry out of the mantissa increments the exponent, and a carry out
	// of the largest finite value gives 0x7c00, which is infinity.
	half := uint32(halfExponent)<<10 | mantissa>>13
	half += roundingCarry(half, mantissa&0x1fff, 0x1000)
	return sign | uint16(half)
}

// roundShiftEven returns value >> shift rounded to the nearest integer with
// ties to even. shift must be between 1 and 31.
func roundShiftEven(value, shift uint32) uint32 {
	truncated := value >> shift
	remainder := value & (1<<shift - 1)
	return truncated + roundingCarry(truncated, remainder, 1<<(shift-1))
}

// roundingCarry returns 1 when the discarded remainder rounds the truncated
// value up under ties-to-even, where halfway is half a unit of the
// truncated value's last bit.
func roundingCarry(truncated, remainder, halfway uint32) uint32 {
	if remainder > halfway || (remainder == halfway && truncated&1 == 1) {
		return 1
	}
	return 0
}

// bf16ToFloat32 widens a bfloat16 value, which is the upper half of a
// binary32 value.
func bf16ToFloat32(b uint16) float32 {
	return math.Float32frombits(uint32(b) << 16)
}

// float32ToBF16 narrows to bfloat16. Magnitudes that round above the largest
// finite bfloat16 (about 3.39e38) become infinity.
func float32ToBF16(f float32) uint16 {
	bits := math.Float32bits(f)
	if bits&0x7fffffff > 0x7f800000 {
		return uint16(bits>>16) | 0x0040
	}
	truncated := bits >> 16
	return uint16(truncated + roundingCarry(truncated, bits&0xffff, 0x8000))
}
