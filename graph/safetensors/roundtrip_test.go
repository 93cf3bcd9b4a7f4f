package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// everyDtype returns one tensor of each supported dtype, with scalar,
// empty and multi-dimensional shapes, in an order unlike the file order.
func everyDtype() []*Tensor {
	return []*Tensor{
		U8("u8", []int{5}, []uint8{0, 1, 127, 128, 255}),
		F16("f16", []int{2, 3}, []float32{1, -2.5, 65504, 0x1p-24, plusInf, negativeZero}),
		BF16("bf16", []int{3}, []float32{1, -2.5, 0x1p-133}),
		F32("conv1.weight", []int{2, 1, 2, 2}, []float32{0.5, -1, 3.25, 1e-30, -7, 0, 1e30, float32(math.SmallestNonzeroFloat32)}),
		F32("empty", []int{0, 3}, nil),
		F64("f64", []int{2}, []float64{0.1, -math.MaxFloat64}),
		I64("bn1.num_batches_tracked", []int{}, []int64{math.MinInt64 + 1}),
		I32("i32", []int{1, 2}, []int32{math.MinInt32, math.MaxInt32}),
	}
}

func TestEncodeDecodeEveryDtype(t *testing.T) {
	tensors := everyDtype()
	metadata := map[string]string{
		"config":    `{"depth":50,"classes":["cat","dog"]}`,
		"optimizer": "{\"lr\":0.1,\"note\":\"<a & b>\\n\"}",
		"unicode":   "Kätzchen \u72ac\n",
		"":          "empty key",
	}
	var buf bytes.Buffer
	if err := Encode(&buf, tensors, metadata); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	file, err := Decode(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}

	for _, want := range tensors {
		t.Run(want.Name, func(t *testing.T) {
			got, ok := file.Tensors[want.Name]
			if !ok {
				t.Fatalf("tensor missing, got names %v", file.Names)
			}
			if got.Dtype != want.Dtype {
				t.Errorf("got dtype %s, want %s", got.Dtype, want.Dtype)
			}
			if !slices.Equal(got.Shape, want.Shape) {
				t.Errorf("got shape %v, want %v", got.Shape, want.Shape)
			}
			if !bytes.Equal(got.Data, want.Data) {
				t.Errorf("got data % x, want % x", got.Data, want.Data)
			}
		})
	}
	t.Run("metadata", func(t *testing.T) {
		if len(file.Metadata) != len(metadata) {
			t.Errorf("got %d metadata keys, want %d", len(file.Metadata), len(metadata))
		}
		for key, want := range metadata {
			if got := file.Metadata[key]; got != want {
				t.Errorf("key %q: got %q, want %q", key, got, want)
			}
		}
	})
	t.Run("file order", func(t *testing.T) {
		// Largest element size first, then by name.
		want := []string{"bn1.num_batches_tracked", "f64", "conv1.weight", "empty", "i32", "bf16", "f16", "u8"}
		if !slices.Equal(file.Names, want) {
			t.Errorf("got Names %v, want %v", file.Names, want)
		}
	})
}

func TestEncodeLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, everyDtype(), map[string]string{"k": "v"}); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	raw := buf.Bytes()
	headerLen := binary.LittleEndian.Uint64(raw)

	t.Run("header padded to 8 bytes", func(t *testing.T) {
		if headerLen%8 != 0 {
			t.Errorf("got header length %d, want a multiple of 8", headerLen)
		}
		header := string(raw[8 : 8+headerLen])
		if trimmed := strings.TrimRight(header, " "); !strings.HasSuffix(trimmed, "}") || len(header)-len(trimmed) > 7 {
			t.Errorf("got header ending %q, want '}' then at most 7 spaces", header[len(header)-8:])
		}
	})
	t.Run("elements aligned", func(t *testing.T) {
		file, err := Decode(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		// Names lists the tensors in data order, so summing lengths gives
		// each tensor's file offset.
		offset := 8 + int(headerLen)
		for _, name := range file.Names {
			tensor := file.Tensors[name]
			if offset%tensor.Dtype.Size() != 0 {
				t.Errorf("tensor %s (%s) starts at file byte %d, want a multiple of %d", name, tensor.Dtype, offset, tensor.Dtype.Size())
			}
			offset += len(tensor.Data)
		}
		if offset != len(raw) {
			t.Errorf("tensors end at byte %d, want the file end %d", offset, len(raw))
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		reversed := everyDtype()
		slices.Reverse(reversed)
		var again bytes.Buffer
		if err := Encode(&again, reversed, map[string]string{"k": "v"}); err != nil {
			t.Fatalf("Encode: %v", err)
		}
		if !bytes.Equal(again.Bytes(), raw) {
			t.Errorf("got different bytes for the same tensors in another order")
		}
	})
	t.Run("no metadata key without metadata", func(t *testing.T) {
		var plain bytes.Buffer
		if err := Encode(&plain, everyDtype(), nil); err != nil {
			t.Fatalf("Encode: %v", err)
		}
		if bytes.Contains(plain.Bytes(), []byte(metadataKey)) {
			t.Errorf("got a %s key for nil metadata, want none", metadataKey)
		}
	})
}

func TestWriteFileReadEveryDtype(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	tensors := everyDtype()
	if err := WriteFile(path, tensors, map[string]string{"format": "pt"}); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	file, err := Read(path)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(file.Tensors) != len(tensors) {
		t.Fatalf("got %d tensors, want %d", len(file.Tensors), len(tensors))
	}
	for _, want := range tensors {
		got := file.Tensors[want.Name]
		if got == nil || got.Dtype != want.Dtype || !slices.Equal(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("tensor %s: got %+v, want %+v", want.Name, got, want)
		}
	}
	if got := file.Metadata["format"]; got != "pt" {
		t.Errorf("got metadata format %q, want %q", got, "pt")
	}
}

func TestDecodedDataDoesNotAlias(t *testing.T) {
	var buf bytes.Buffer
	tensors := []*Tensor{U8("a", []int{2}, []uint8{1, 2}), U8("b", []int{2}, []uint8{3, 4})}
	if err := Encode(&buf, tensors, nil); err != nil {
		t.Fatal(err)
	}
	file, err := Decode(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	a := file.Tensors["a"]
	a.Data = append(a.Data, 99)
	if got := file.Tensors["b"].Data; !bytes.Equal(got, []byte{3, 4}) {
		t.Errorf("got b data %v after appending to a, want [3 4]", got)
	}
}
