package safetensors

import (
	"sort"
	"strings"
)

// Dtype is an element type as the header spells it, such as "F32".
type Dtype string

// The element types that this package reads and writes. Other dtypes of the
// format (BOOL, I8, I16, U16, U32, U64 and the F8 variants) are rejected.
const (
	DtypeF64  Dtype = "F64"  // IEEE 754 binary64
	DtypeF32  Dtype = "F32"  // IEEE 754 binary32
	DtypeF16  Dtype = "F16"  // IEEE 754 binary16
	DtypeBF16 Dtype = "BF16" // bfloat16: the upper 16 bits of a binary32
	DtypeI64  Dtype = "I64"
	DtypeI32  Dtype = "I32"
	DtypeU8   Dtype = "U8"
)

// dtypeSizes maps each supported dtype to its element size in bytes.
var dtypeSizes = map[Dtype]int{
	DtypeF64:  8,
	DtypeF32:  4,
	DtypeF16:  2,
	DtypeBF16: 2,
	DtypeI64:  8,
	DtypeI32:  4,
	DtypeU8:   1,
}

// Size returns the element size in bytes, or 0 for an unsupported dtype.
func (d Dtype) Size() int {
	return dtypeSizes[d]
}

// supportedDtypes lists the supported dtypes for error messages.
func supportedDtypes() string {
	names := make([]string, 0, len(dtypeSizes))
	for d := range dtypeSizes {
		names = append(names, string(d))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
