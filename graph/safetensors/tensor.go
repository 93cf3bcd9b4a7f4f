package safetensors

import (
	"encoding/binary"
	"math"

	"github.com/pkg/errors"
)

// Tensor is one named tensor of a file: its dtype, its shape and its
// elements in row-major order as little-endian bytes.
type Tensor struct {
	Name  string
	Dtype Dtype
	Shape []int // empty for a scalar
	Data  []byte
}

// File is the content of a safetensors file.
type File struct {
	// Metadata is the header's "__metadata__" map. It is never nil after a
	// read, even when the file has none.
	Metadata map[string]string
	// Tensors maps each name to its tensor.
	Tensors map[string]*Tensor
	// Names lists the tensor names in the order of their data in the file.
	Names []string
}

// NumElements returns the product of the shape, which is 1 for a scalar.
func (t *Tensor) NumElements() int {
	n := 1
	for _, dim := range t.Shape {
		n *= dim
	}
	return n
}

// checkData returns an error unless the shape is valid and the data length
// matches shape and dtype.
func (t *Tensor) checkData() error {
	size := t.Dtype.Size()
	if size == 0 {
		return errors.Errorf("tensor %q: unsupported dtype %q; use one of %s", t.Name, t.Dtype, supportedDtypes())
	}
	n, err := elementCount(t.Shape, math.MaxInt/size)
	if err != nil {
		return errors.Wrapf(err, "tensor %q", t.Name)
	}
	if len(t.Data) != n*size {
		return errors.Errorf("tensor %q: shape %v of dtype %s needs %d bytes but Data has %d; pass data with one element per shape position",
			t.Name, t.Shape, t.Dtype, n*size, len(t.Data))
	}
	return nil
}

// elementCount returns the product of shape, or an error for a negative
// dimension or a product above limit.
func elementCount(shape []int, limit int) (int, error) {
	for i, dim := range shape {
		if dim < 0 {
			return 0, errors.Errorf("invalid shape %v: dimension %d is negative; dimensions must be 0 or more", shape, i)
		}
		if dim == 0 {
			return 0, nil
		}
	}
	n := 1
	for _, dim := range shape {
		if n > limit/dim {
			return 0, errors.Errorf("invalid shape %v: more than %d elements", shape, limit)
		}
		n *= dim
	}
	return n, nil
}

// Float32s decodes the elements as float32. F16, BF16 and F32 convert
// exactly, and F64 rounds to the nearest float32. Integer dtypes return an
// error, so that a mix-up of weights and counters is caught.
func (t *Tensor) Float32s() ([]float32, error) {
	if err := t.checkData(); err != nil {
		return nil, err
	}
	n := t.NumElements()
	out := make([]float32, n)
	switch t.Dtype {
	case DtypeF32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
	case DtypeF64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:])))
		}
	case DtypeF16:
		for i := range out {
			out[i] = f16ToFloat32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
	case DtypeBF16:
		for i := range out {
			out[i] = bf16ToFloat32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
	default:
		return nil, errors.Errorf("tensor %q: dtype %s is not a floating-point type; use Int64s", t.Name, t.Dtype)
	}
	return out, nil
}

// Float64s decodes the elements as float64. Every floating-point dtype
// converts exactly. Integer dtypes return an error.
func (t *Tensor) Float64s() ([]float64, error) {
	if t.Dtype == DtypeF64 {
		if err := t.checkData(); err != nil {
			return nil, err
		}
		out := make([]float64, t.NumElements())
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
		}
		return out, nil
	}

	narrow, err := t.Float32s()
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(narrow))
	for i, v := range narrow {
		out[i] = float64(v)
	}
	return out, nil
}

// Int64s decodes the elements of an I64, I32 or U8 tensor as int64.
// Floating-point dtypes return an error.
func (t *Tensor) Int64s() ([]int64, error) {
	if err := t.checkData(); err != nil {
		return nil, err
	}
	out := make([]int64, t.NumElements())
	switch t.Dtype {
	case DtypeI64:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
		}
	case DtypeI32:
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(t.Data[4*i:])))
		}
	case DtypeU8:
		for i := range out {
			out[i] = int64(t.Data[i])
		}
	default:
		return nil, errors.Errorf("tensor %q: dtype %s is not an integer type; use Float32s or Float64s", t.Name, t.Dtype)
	}
	return out, nil
}

// F32 returns an F32 tensor with a copy of shape and data. WriteFile and
// Encode reject it if len(data) differs from the product of shape.
func F32(name string, shape []int, data []float32) *Tensor {
	buf := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	return newTensor(name, DtypeF32, shape, buf)
}

// F64 returns an F64 tensor with a copy of shape and data.
func F64(name string, shape []int, data []float64) *Tensor {
	buf := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(v))
	}
	return newTensor(name, DtypeF64, shape, buf)
}

// F16 returns an F16 tensor of data rounded to binary16 with ties to even.
// Magnitudes of 65520 or more become infinity.
func F16(name string, shape []int, data []float32) *Tensor {
	buf := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(buf[2*i:], float32ToF16(v))
	}
	return newTensor(name, DtypeF16, shape, buf)
}

// BF16 returns a BF16 tensor of data rounded to bfloat16 with ties to even.
func BF16(name string, shape []int, data []float32) *Tensor {
	buf := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(buf[2*i:], float32ToBF16(v))
	}
	return newTensor(name, DtypeBF16, shape, buf)
}

// I64 returns an I64 tensor, the dtype of BatchNorm's num_batches_tracked.
func I64(name string, shape []int, data []int64) *Tensor {
	buf := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(buf[8*i:], uint64(v))
	}
	return newTensor(name, DtypeI64, shape, buf)
}

// I32 returns an I32 tensor with a copy of shape and data.
func I32(name string, shape []int, data []int32) *Tensor {
	buf := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(buf[4*i:], uint32(v))
	}
	return newTensor(name, DtypeI32, shape, buf)
}

// U8 returns a U8 tensor with a copy of shape and data.
func U8(name string, shape []int, data []uint8) *Tensor {
	return newTensor(name, DtypeU8, shape, append([]byte(nil), data...))
}

func newTensor(name string, dtype Dtype, shape []int, data []byte) *Tensor {
	return &Tensor{Name: name, Dtype: dtype, Shape: append([]int{}, shape...), Data: data}
}
