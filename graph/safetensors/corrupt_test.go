package safetensors

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry formats one header entry.
func entry(name, dtype, shape string, begin, end int) string {
	return fmt.Sprintf(`%q:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, name, dtype, shape, begin, end)
}

// lengthPrefix returns the 8-byte little-endian encoding of n.
func lengthPrefix(n uint64) []byte {
	return []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), byte(n >> 32), byte(n >> 40), byte(n >> 48), byte(n >> 56)}
}

func TestDecodeCorruptFiles(t *testing.T) {
	zeros := func(n int) []byte { return make([]byte, n) }
	tests := []struct {
		name string
		file []byte
		// want lists substrings that the error must contain.
		want []string
	}{
		{"empty file", nil, []string{"file has 0 bytes", "8-byte header length"}},
		{"seven bytes", zeros(7), []string{"file has 7 bytes", "truncated"}},
		{"header longer than file", append(lengthPrefix(100), `{"a":`...), []string{"header length 100 bytes exceeds the 5 bytes", "truncated"}},
		{"absurd header length", append(lengthPrefix(1<<40), `{}`...), []string{"header length 1099511627776 bytes exceeds the limit of 100000000"}},
		{"max uint64 header length", append(lengthPrefix(1<<64-1), `{}`...), []string{"exceeds the limit"}},
		{"header not an object", buildFile(`[1,2]`, nil), []string{"must start with '{'"}},
		{"header with leading space", buildFile(` {}`, nil), []string{"must start with '{'"}},
		{"invalid JSON", buildFile(`{"a":{"dtype":`, nil), []string{"not valid JSON"}},
		{"invalid UTF-8", buildFile("{\"\xff\":1}", nil), []string{"not valid UTF-8"}},
		{"data after closing brace", buildFile(`{} {}`, nil), []string{"after its closing '}'"}},
		{"garbage after closing brace", buildFile(`{} x`, nil), []string{"not valid JSON"}},
		{"duplicate tensor name", buildFile("{"+entry("w", "F32", "[1]", 0, 4)+","+entry("w", "F32", "[1]", 4, 8)+"}", zeros(8)), []string{`key "w" twice`}},
		{"unknown dtype", buildFile("{"+entry("layer1.0.conv1.weight", "F8_E4M3", "[4]", 0, 4)+"}", zeros(4)),
			[]string{`tensor "layer1.0.conv1.weight"`, `unsupported dtype "F8_E4M3"`, "BF16, F16, F32, F64, I32, I64, U8"}},
		{"dtype not a string", buildFile(`{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, zeros(4)), []string{`tensor "w"`, "dtype is 4, want a string"}},
		{"missing shape", buildFile(`{"w":{"dtype":"F32","data_offsets":[0,4]}}`, zeros(4)), []string{`tensor "w"`, "lacks shape"}},
		{"null data_offsets", buildFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":null}}`, zeros(4)), []string{`tensor "w"`, "lacks data_offsets"}},
		{"entry not an object", buildFile(`{"w":[1,2]}`, nil), []string{`tensor "w"`, "header entry is [1,2]"}},
		{"fractional dimension", buildFile(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, zeros(4)), []string{`tensor "w"`, "shape is [1.5]"}},
		{"negative dimension", buildFile("{"+entry("fc.weight", "F32", "[-2,3]", 0, 24)+"}", zeros(24)), []string{`tensor "fc.weight"`, "negative dimension -2"}},
		{"shape overflow", buildFile("{"+entry("big", "F32", "[4611686018427387904,4]", 0, 4)+"}", zeros(4)), []string{`tensor "big"`, "more than"}},
		{"shape and span disagree", buildFile("{"+entry("bn1.weight", "F32", "[2,3]", 0, 20)+"}", zeros(20)),
			[]string{`tensor "bn1.weight"`, "shape [2 3] of dtype F32 needs 24 bytes but data_offsets [0 20] span 20 bytes"}},
		{"three offsets", buildFile(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}`, zeros(1)), []string{`tensor "w"`, "has 3 values"}},
		{"negative offset", buildFile(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}`, zeros(1)), []string{`tensor "w"`, "invalid data_offsets [-1 0]"}},
		{"end before begin", buildFile(`{"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}`, zeros(4)), []string{`tensor "w"`, "invalid data_offsets [4 0]"}},
		{"offset out of range", buildFile("{"+entry("w", "U8", "[4]", 1<<40, 1<<40+4)+"}", zeros(4)), []string{`tensor "w"`, "data ends at byte"}},
		{"overlap", buildFile("{"+entry("a", "F32", "[2]", 0, 8)+","+entry("b", "F32", "[2]", 4, 12)+"}", zeros(12)),
			[]string{`tensor "b"`, `overlap tensor "a", which ends at 8`}},
		{"empty tensor inside another", buildFile("{"+entry("a", "F32", "[2]", 0, 8)+","+entry("e", "F32", "[0]", 4, 4)+"}", zeros(8)),
			[]string{`tensor "e"`, `overlap tensor "a"`}},
		{"hole between tensors", buildFile("{"+entry("a", "F32", "[1]", 0, 4)+","+entry("b", "F32", "[1]", 8, 12)+"}", zeros(12)),
			[]string{`tensor "b"`, `tensor "a" ends at 4`, "hole of 4 bytes"}},
		{"hole at start", buildFile("{"+entry("a", "F32", "[1]", 4, 8)+"}", zeros(8)), []string{`tensor "a"`, "starts at offset 4 instead of 0"}},
		{"trailing bytes", buildFile("{"+entry("a", "F32", "[1]", 0, 4)+"}", zeros(6)), []string{"2 bytes after tensor \"a\""}},
		{"data but no tensors", buildFile(`{"__metadata__":{"k":"v"}}`, zeros(3)), []string{"3 bytes but the header lists no tensors"}},
		{"metadata value not a string", buildFile(`{"__metadata__":{"epoch":3}}`, nil), []string{`key "epoch" has value 3, want a JSON string`}},
		{"metadata not an object", buildFile(`{"__metadata__":"x"}`, nil), []string{`__metadata__ is "x"`}},
		{"empty tensor name", buildFile("{"+entry("", "U8", "[1]", 0, 1)+"}", zeros(1)), []string{"empty name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, err := Decode(bytes.NewReader(tt.file), int64(len(tt.file)))
			if err == nil {
				t.Fatalf("got file with tensors %v, want an error containing %q", file.Names, tt.want)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got error %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

// TestReadTruncatedFileNamesTensor checks the whole message for a checkpoint
// cut inside the data of its last tensor.
func TestReadTruncatedFileNamesTensor(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	tensors := []*Tensor{
		F32("layer4.2.bn3.running_mean", []int{4}, []float32{1, 2, 3, 4}),
		F32("layer4.2.bn3.running_var", []int{4}, []float32{5, 6, 7, 8}),
	}
	if err := WriteFile(path, tensors, nil); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := raw[:len(raw)-3]
	if err := os.WriteFile(path, cut, 0o644); err != nil {
		t.Fatal(err)
	}

	_, err = Read(path)
	want := fmt.Sprintf("read safetensors file %s: tensor \"layer4.2.bn3.running_var\": data ends at byte %d but the file has only %d bytes, so the file is truncated and must be written again",
		path, len(raw), len(cut))
	if err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
}

// TestDecodeEveryTruncation cuts a valid file at every byte and checks that
// Decode returns an error, and never panics or returns a file.
func TestDecodeEveryTruncation(t *testing.T) {
	raw := buildFile(handBuiltHeader, handBuiltData)
	for cut := 0; cut < len(raw); cut++ {
		prefix := raw[:cut]
		file, err := Decode(bytes.NewReader(prefix), int64(cut))
		if err == nil {
			t.Errorf("cut at %d of %d bytes: got tensors %v, want an error", cut, len(raw), file.Names)
			continue
		}
		// Once the header is complete, the error names the first tensor
		// whose data is missing.
		if cut >= 8+len(handBuiltHeader) && !strings.Contains(err.Error(), "so the file is truncated") {
			t.Errorf("cut at %d: got error %q, want it to report truncation", cut, err)
		}
	}
}

// TestReadTruncatedCopies writes truncated copies to disk and reads them
// with Read, as a user would after a copy was cut short.
func TestReadTruncatedCopies(t *testing.T) {
	raw := buildFile(handBuiltHeader, handBuiltData)
	dir := t.TempDir()
	for _, cut := range []int{0, 4, 8, 9, 100, 8 + len(handBuiltHeader), len(raw) - 1} {
		t.Run(fmt.Sprint("cut ", cut), func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("cut%d.safetensors", cut))
			if err := os.WriteFile(path, raw[:cut], 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if err == nil {
				t.Fatalf("got nil error, want an error")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("got error %q, want it to name the file %s", err, path)
			}
		})
	}
}

// shortReaderAt holds fewer bytes than the size passed to Decode, as a file
// that shrinks while it is read.
type shortReaderAt struct{ data []byte }

func (r shortReaderAt) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(r.data).ReadAt(p, off)
}

func TestDecodeSizeLargerThanReader(t *testing.T) {
	raw := buildFile(handBuiltHeader, handBuiltData)
	_, err := Decode(shortReaderAt{raw[:len(raw)-10]}, int64(len(raw)))
	if err == nil || !strings.Contains(err.Error(), "shorter than its reported size") {
		t.Errorf("got error %v, want one that reports a short read", err)
	}
}

func TestReadPathErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		want string
	}{
		{"missing file", filepath.Join(dir, "absent.safetensors"), "no such file"},
		{"folder", dir, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(tt.path)
			if err == nil {
				t.Fatalf("got nil error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("got error %q, want it to contain %q and the path", err, tt.want)
			}
		})
	}
}
