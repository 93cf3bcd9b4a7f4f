package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// Encode writes tensors and metadata to w in safetensors format.
//
// The data is ordered by element size, largest first, then by name, as the
// reference implementation orders it. Every tensor then starts at a
// multiple of its element size, and the header is padded with spaces to a
// multiple of 8 bytes, so every element is aligned within the file. Metadata
// keys are written in sorted order, so equal input gives equal bytes.
// Encode validates all tensors before it writes anything.
func Encode(w io.Writer, tensors []*Tensor, metadata map[string]string) error {
	plan, err := planFile(tensors, metadata)
	if err != nil {
		return err
	}
	return plan.writeTo(w)
}

// filePlan is a validated file ready to be written.
type filePlan struct {
	header  []byte // JSON header including padding
	tensors []*Tensor
}

// planFile validates tensors and metadata, orders the tensors and builds the
// header.
func planFile(tensors []*Tensor, metadata map[string]string) (*filePlan, error) {
	ordered := make([]*Tensor, len(tensors))
	seen := make(map[string]bool, len(tensors))
	for i, t := range tensors {
		if t == nil {
			return nil, errors.Errorf("tensors[%d] is nil; pass only non-nil tensors", i)
		}
		if err := checkName(t.Name); err != nil {
			return nil, errors.Wrapf(err, "tensors[%d]", i)
		}
		if seen[t.Name] {
			return nil, errors.Errorf("tensor %q appears twice; tensor names must be unique", t.Name)
		}
		seen[t.Name] = true
		if err := t.checkData(); err != nil {
			return nil, err
		}
		ordered[i] = t
	}
	for key, value := range metadata {
		if !utf8.ValidString(key) || !utf8.ValidString(value) {
			return nil, errors.Errorf("metadata key %q or its value is not valid UTF-8; the header must be UTF-8 JSON", key)
		}
	}

	sort.SliceStable(ordered, func(i, j int) bool {
		a, b := ordered[i], ordered[j]
		if a.Dtype.Size() != b.Dtype.Size() {
			return a.Dtype.Size() > b.Dtype.Size()
		}
		return a.Name < b.Name
	})

	header := buildHeader(ordered, metadata)
	if len(header) > maxHeaderSize {
		return nil, errors.Errorf("header would have %d bytes, above the %d-byte limit that readers enforce; store less metadata", len(header), maxHeaderSize)
	}
	return &filePlan{header: header, tensors: ordered}, nil
}

// checkName rejects names that cannot round-trip through the header.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("tensor has an empty name; set Tensor.Name")
	case name == metadataKey:
		return errors.Errorf("tensor name %q is reserved for the metadata map; rename the tensor", name)
	case !utf8.ValidString(name):
		return errors.Errorf("tensor name %q is not valid UTF-8; the header must be UTF-8 JSON", name)
	}
	return nil
}

// buildHeader returns the JSON header for tensors in data order, padded
// with spaces to a multiple of 8 bytes.
func buildHeader(ordered []*Tensor, metadata map[string]string) []byte {
	var buf bytes.Buffer
	buf.WriteByte('{')
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for key := range metadata {
			keys = append(keys, key)
		}
		sort.Strings(keys)

		writeJSONString(&buf, metadataKey)
		buf.WriteString(":{")
		for i, key := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(&buf, key)
			buf.WriteByte(':')
			writeJSONString(&buf, metadata[key])
		}
		buf.WriteByte('}')
	}

	var offset int
	for i, t := range ordered {
		if i > 0 || len(metadata) > 0 {
			buf.WriteByte(',')
		}
		writeJSONString(&buf, t.Name)
		buf.WriteString(`:{"dtype":`)
		writeJSONString(&buf, string(t.Dtype))
		buf.WriteString(`,"shape":[`)
		for j, dim := range t.Shape {
			if j > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(strconv.Itoa(dim))
		}
		buf.WriteString(`],"data_offsets":[`)
		buf.WriteString(strconv.Itoa(offset))
		buf.WriteByte(',')
		offset += len(t.Data)
		buf.WriteString(strconv.Itoa(offset))
		buf.WriteString("]}")
	}
	buf.WriteByte('}')

	for buf.Len()%8 != 0 {
		buf.WriteByte(' ')
	}
	return buf.Bytes()
}

// writeJSONString writes s as a JSON string. Unlike json.Marshal it keeps
// '<', '>' and '&' as they are, which makes headers easier to read.
func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	// Encoding a string into a bytes.Buffer cannot fail. Invalid UTF-8
	// would be replaced by U+FFFD, which is why checkName and planFile
	// reject it.
	_ = enc.Encode(s)
	buf.Truncate(buf.Len() - 1) // Encode appends a newline.
}

// writeTo writes the header length, the header and the tensor data.
func (p *filePlan) writeTo(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(p.header)))
	if _, err := bw.Write(prefix[:]); err != nil {
		return errors.Wrap(err, "write header length")
	}
	if _, err := bw.Write(p.header); err != nil {
		return errors.Wrap(err, "write header")
	}
	for _, t := range p.tensors {
		if _, err := bw.Write(t.Data); err != nil {
			return errors.Wrapf(err, "write data of tensor %q", t.Name)
		}
	}
	return errors.Wrap(bw.Flush(), "write tensor data")
}
