package safetensors

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzDecode checks that Decode never panics, and that a file it accepts
// encodes and decodes again to the same tensors and metadata.
func FuzzDecode(f *testing.F) {
	f.Add(buildFile(handBuiltHeader, handBuiltData))
	f.Add(buildFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, []byte{0, 0, 0x80, 0x3f}))
	f.Add(buildFile(`{"__metadata__":{"a":"b"}}`, nil))
	f.Add(buildFile(`{"e":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"f":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{7}))
	f.Add(buildFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)))
	var encoded bytes.Buffer
	if err := Encode(&encoded, everyDtype(), map[string]string{"k": "v"}); err != nil {
		f.Fatal(err)
	}
	f.Add(encoded.Bytes())

	f.Fuzz(func(t *testing.T, raw []byte) {
		file, err := Decode(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			return
		}

		tensors := make([]*Tensor, 0, len(file.Names))
		for _, name := range file.Names {
			tensors = append(tensors, file.Tensors[name])
		}
		var buf bytes.Buffer
		if err := Encode(&buf, tensors, file.Metadata); err != nil {
			t.Fatalf("Encode of a decoded file: %v", err)
		}
		again, err := Decode(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("Decode of a re-encoded file: %v", err)
		}
		if len(again.Tensors) != len(file.Tensors) {
			t.Fatalf("got %d tensors after re-encoding, want %d", len(again.Tensors), len(file.Tensors))
		}
		for name, want := range file.Tensors {
			got := again.Tensors[name]
			if got == nil || got.Dtype != want.Dtype || !slices.Equal(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
				t.Errorf("tensor %q: got %+v after re-encoding, want %+v", name, got, want)
			}
		}
		if len(again.Metadata) != len(file.Metadata) {
			t.Errorf("got %d metadata keys after re-encoding, want %d", len(again.Metadata), len(file.Metadata))
		}
		for key, want := range file.Metadata {
			if got := again.Metadata[key]; got != want {
				t.Errorf("metadata %q: got %q after re-encoding, want %q", key, got, want)
			}
		}
		// Data is used by the checks above, and converting it must not
		// panic for any accepted tensor.
		for _, tensor := range file.Tensors {
			_, _ = tensor.Float32s()
			_, _ = tensor.Int64s()
		}
	})
}
