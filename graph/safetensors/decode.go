package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"sort"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// maxHeaderSize is the largest header accepted, in bytes. The reference
// Rust implementation (huggingface/safetensors, safetensors/src/tensor.rs,
// MAX_HEADER_SIZE) uses the same limit. For scale, a ResNet-50 header has
// 320 entries of roughly 90 bytes, about 30 kB.
const maxHeaderSize = 100_000_000

// corruptHint ends the message of every error that finds a damaged file.
const corruptHint = "the file is corrupt and must be written again"

// metadataKey is the header key of the string-to-string metadata map.
const metadataKey = "__metadata__"

// Read reads and validates the safetensors file at path. It loads all
// tensor data into memory. Errors name the file, the tensor and the problem.
func Read(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "read safetensors file")
	}
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		return nil, errors.Wrapf(err, "read safetensors file %s", path)
	}
	if !info.Mode().IsRegular() {
		return nil, errors.Errorf("read safetensors file %s: not a regular file (mode %s); pass the path of a .safetensors file", path, info.Mode())
	}

	file, err := Decode(f, info.Size())
	if err != nil {
		return nil, errors.Wrapf(err, "read safetensors file %s", path)
	}
	return file, nil
}

// Decode reads and validates a safetensors file of size bytes from r. It
// checks the header length, the header JSON, every dtype, shape and offset
// pair, and that the tensors cover the data buffer exactly, before it
// allocates the data buffer. Each Tensor.Data is a slice of that one buffer.
func Decode(r io.ReaderAt, size int64) (*File, error) {
	if size < 8 {
		return nil, errors.Errorf("file has %d bytes but a safetensors file starts with an 8-byte header length, so the file is empty or truncated", size)
	}
	var prefix [8]byte
	if err := readFullAt(r, prefix[:], 0); err != nil {
		return nil, errors.Wrap(err, "read header length")
	}
	headerLen := binary.LittleEndian.Uint64(prefix[:])
	if headerLen > maxHeaderSize {
		return nil, errors.Errorf("header length %d bytes exceeds the limit of %d bytes, so this is not a safetensors file or its first 8 bytes are corrupt; pass a valid .safetensors file", headerLen, maxHeaderSize)
	}
	if headerLen > uint64(size-8) {
		return nil, errors.Errorf("header length %d bytes exceeds the %d bytes after the length field, so the file is truncated and must be written again", headerLen, size-8)
	}

	header := make([]byte, headerLen)
	if err := readFullAt(r, header, 8); err != nil {
		return nil, errors.Wrap(err, "read header")
	}
	entries, metadata, err := parseHeader(header)
	if err != nil {
		return nil, err
	}

	dataStart := 8 + int64(headerLen)
	if err := checkLayout(entries, dataStart, size); err != nil {
		return nil, err
	}

	data := make([]byte, size-dataStart)
	if err := readFullAt(r, data, dataStart); err != nil {
		return nil, errors.Wrapf(err, "read tensor data (bytes %d to %d)", dataStart, size)
	}

	file := &File{
		Metadata: metadata,
		Tensors:  make(map[string]*Tensor, len(entries)),
		Names:    make([]string, len(entries)),
	}
	for i, e := range entries {
		file.Tensors[e.name] = &Tensor{
			Name:  e.name,
			Dtype: e.dtype,
			Shape: e.shape,
			// The capacity limit keeps an append to one tensor from
			// overwriting the next.
			Data: data[e.begin:e.end:e.end],
		}
		file.Names[i] = e.name
	}
	return file, nil
}

// readFullAt fills buf from r at offset, treating a short read as an error.
func readFullAt(r io.ReaderAt, buf []byte, offset int64) error {
	n, err := r.ReadAt(buf, offset)
	if n == len(buf) {
		// io.ReaderAt may return io.EOF together with a full read.
		return nil
	}
	if err == nil || err == io.EOF {
		return errors.Errorf("got %d of %d bytes at offset %d, so the file is shorter than its reported size; check that no other program is writing it", n, len(buf), offset)
	}
	return errors.Wrapf(err, "read %d bytes at offset %d", len(buf), offset)
}

// headerEntry is one validated tensor entry of the header. begin and end
// are relative to the start of the data buffer.
type headerEntry struct {
	name       string
	position   int // index in the header, which breaks ties between empty tensors
	dtype      Dtype
	shape      []int
	begin, end int64
}

// parseHeader decodes the JSON header and validates each entry on its own.
// checkLayout validates the entries against each other and the file size.
func parseHeader(header []byte) ([]headerEntry, map[string]string, error) {
	if !utf8.Valid(header) {
		return nil, nil, errors.New("header is not valid UTF-8, so " + corruptHint)
	}
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, errors.Errorf("header starts with %q but must start with '{', so this is not a safetensors file; pass a valid .safetensors file", firstBytes(header, 16))
	}

	dec := json.NewDecoder(bytes.NewReader(header))
	if _, err := dec.Token(); err != nil {
		return nil, nil, invalidJSON(err, dec)
	}

	metadata := map[string]string{}
	var entries []headerEntry
	seen := map[string]bool{}
	for dec.More() {
		token, err := dec.Token()
		if err != nil {
			return nil, nil, invalidJSON(err, dec)
		}
		// Inside an object, Token returns each key as a string.
		key, ok := token.(string)
		if !ok {
			return nil, nil, errors.Errorf("header has key %v of type %T at byte %d, want a string", token, token, dec.InputOffset())
		}
		if seen[key] {
			return nil, nil, errors.Errorf("header has key %q twice, so "+corruptHint, key)
		}
		seen[key] = true

		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, invalidJSON(err, dec)
		}
		if key == metadataKey {
			if metadata, err = parseMetadata(raw); err != nil {
				return nil, nil, err
			}
			continue
		}
		entry, err := parseEntry(key, raw)
		if err != nil {
			return nil, nil, err
		}
		entry.position = len(entries)
		entries = append(entries, entry)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, invalidJSON(err, dec)
	}
	// JSON whitespace may follow, such as the spaces that pad the header to
	// a multiple of 8 bytes. Anything else is an error.
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, nil, invalidJSON(err, dec)
		}
		return nil, nil, errors.New("header has another JSON value after its closing '}', so " + corruptHint)
	}
	return entries, metadata, nil
}

// invalidJSON wraps a JSON syntax error with the byte where decoding stopped.
func invalidJSON(err error, dec *json.Decoder) error {
	return errors.Wrapf(err, "header is not valid JSON near byte %d of the header, so "+corruptHint, dec.InputOffset())
}

// parseMetadata decodes the "__metadata__" object, whose values must be
// strings. A JSON null counts as no metadata.
func parseMetadata(raw json.RawMessage) (map[string]string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, errors.Errorf("%s is %s, want an object of string values", metadataKey, firstBytes(raw, 40))
	}
	metadata := make(map[string]string, len(fields))
	for key, value := range fields {
		var s string
		if err := json.Unmarshal(value, &s); err != nil {
			return nil, errors.Errorf("%s key %q has value %s, want a JSON string; store structured values as JSON-encoded strings", metadataKey, key, firstBytes(value, 40))
		}
		metadata[key] = s
	}
	return metadata, nil
}

// parseEntry decodes and checks one tensor entry:
// {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}.
// Keys match exactly, and keys other than these three are ignored.
func parseEntry(name string, raw json.RawMessage) (headerEntry, error) {
	entry := headerEntry{name: name}
	if name == "" {
		return entry, errors.New("header has a tensor with an empty name, so " + corruptHint)
	}

	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return entry, errors.Errorf("tensor %q: header entry is %s, want {\"dtype\": string, \"shape\": [integers], \"data_offsets\": [begin, end]}", name, firstBytes(raw, 80))
	}
	var dtype string
	var shape, offsets []int64
	if err := decodeField(fields, "dtype", &dtype); err != nil {
		return entry, errors.Wrapf(err, "tensor %q", name)
	}
	if err := decodeField(fields, "shape", &shape); err != nil {
		return entry, errors.Wrapf(err, "tensor %q", name)
	}
	if err := decodeField(fields, "data_offsets", &offsets); err != nil {
		return entry, errors.Wrapf(err, "tensor %q", name)
	}

	entry.dtype = Dtype(dtype)
	size := entry.dtype.Size()
	if size == 0 {
		return entry, errors.Errorf("tensor %q: unsupported dtype %q; this package reads %s, so convert the tensor to one of them", name, dtype, supportedDtypes())
	}

	entry.shape = make([]int, len(shape))
	for i, dim := range shape {
		if dim < 0 {
			return entry, errors.Errorf("tensor %q: shape %v has negative dimension %d, so "+corruptHint, name, shape, dim)
		}
		if dim > math.MaxInt {
			return entry, errors.Errorf("tensor %q: shape %v has dimension %d, larger than this platform's int", name, shape, dim)
		}
		entry.shape[i] = int(dim)
	}
	count, err := elementCount(entry.shape, math.MaxInt/size)
	if err != nil {
		return entry, errors.Wrapf(err, "tensor %q", name)
	}

	if len(offsets) != 2 {
		return entry, errors.Errorf("tensor %q: data_offsets %v has %d values, want [begin, end]", name, offsets, len(offsets))
	}
	entry.begin, entry.end = offsets[0], offsets[1]
	if entry.begin < 0 || entry.end < entry.begin {
		return entry, errors.Errorf("tensor %q: invalid data_offsets %v, want 0 <= begin <= end", name, offsets)
	}
	if want := int64(count) * int64(size); entry.end-entry.begin != want {
		return entry, errors.Errorf("tensor %q: shape %v of dtype %s needs %d bytes but data_offsets %v span %d bytes, so "+corruptHint,
			name, entry.shape, entry.dtype, want, offsets, entry.end-entry.begin)
	}
	return entry, nil
}

// decodeField decodes the required field key of a header entry into v.
func decodeField(fields map[string]json.RawMessage, key string, v any) error {
	raw, ok := fields[key]
	if !ok || string(raw) == "null" {
		return errors.Errorf("header entry lacks %s, so "+corruptHint, key)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return errors.Errorf("%s is %s, want %s", key, firstBytes(raw, 80), fieldForms[key])
	}
	return nil
}

// fieldForms describes the expected JSON form of each entry field.
var fieldForms = map[string]string{
	"dtype":        "a string such as \"F32\"",
	"shape":        "an array of non-negative integers",
	"data_offsets": "an array [begin, end] of non-negative integers",
}

// checkLayout sorts entries by data offset and checks that they cover the
// data buffer from dataStart to fileSize exactly once, without overlaps,
// holes or trailing bytes, as the format requires.
func checkLayout(entries []headerEntry, dataStart, fileSize int64) error {
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.begin != b.begin {
			return a.begin < b.begin
		}
		if a.end != b.end {
			return a.end < b.end
		}
		return a.position < b.position
	})

	dataLen := fileSize - dataStart
	var previous *headerEntry
	for i := range entries {
		e := &entries[i]
		if e.end > dataLen {
			return errors.Errorf("tensor %q: data ends at byte %d but the file has only %d bytes, so the file is truncated and must be written again",
				e.name, dataStart+e.end, fileSize)
		}
		switch {
		case previous == nil && e.begin > 0:
			return errors.Errorf("tensor %q: data starts at offset %d instead of 0, which leaves a hole that the format forbids, so "+corruptHint,
				e.name, e.begin)
		case previous == nil:
		case e.begin < previous.end:
			return errors.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q, which ends at %d, so "+corruptHint,
				e.name, e.begin, e.end, previous.name, previous.end)
		case e.begin > previous.end:
			return errors.Errorf("tensor %q: data starts at offset %d but tensor %q ends at %d, which leaves a hole of %d bytes that the format forbids, so "+corruptHint,
				e.name, e.begin, previous.name, previous.end, e.begin-previous.end)
		}
		previous = e
	}

	switch {
	case previous == nil && dataLen > 0:
		return errors.Errorf("data buffer has %d bytes but the header lists no tensors, so "+corruptHint, dataLen)
	case previous != nil && previous.end < dataLen:
		return errors.Errorf("data buffer has %d bytes after tensor %q ends at offset %d, which the format forbids, so "+corruptHint,
			dataLen-previous.end, previous.name, previous.end)
	}
	return nil
}

// firstBytes returns up to limit bytes of b for error messages, marking a cut.
func firstBytes(b []byte, limit int) string {
	if len(b) <= limit {
		return string(b)
	}
	return string(b[:limit]) + "..."
}
