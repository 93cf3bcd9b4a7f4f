// Package safetensors reads and writes tensors in the safetensors format,
// the format of the ResNet checkpoints. Tensor names follow torchvision's
// state_dict keys (conv1.weight, layer4.2.bn3.running_var, ...), so weights
// move between PyTorch and Go without renaming. Model config, class names
// and optimizer state travel as JSON-encoded strings in the metadata map.
//
// # Format
//
// A file is an 8-byte little-endian unsigned header length N, then N bytes
// of UTF-8 JSON, then the data buffer:
//
//	{"__metadata__": {"key": "value"},
//	 "conv1.weight": {"dtype": "F32", "shape": [64, 3, 7, 7], "data_offsets": [0, 37632]}, ...}
//
// Offsets count from the first byte after the header. Elements are stored
// row-major and little-endian. The tensors must cover the data buffer
// exactly, without overlaps or holes. The header may be padded with spaces.
// This package reads and writes F64, F32, F16, BF16, I64, I32 and U8, and
// rejects the other dtypes of the format.
//
// # Reading
//
// Read and Decode validate the whole header against the file size before
// they allocate the data buffer, so a damaged or hostile file yields an
// error, never a panic, and memory use stays proportional to the file size.
// Errors name the tensor and the problem, for example a truncated file:
//
//	tensor "layer4.2.bn3.running_var": data ends at byte 102528096 but the
//	file has only 102400000 bytes, so the file is truncated and must be
//	written again
//
// Tensor.Float32s and Tensor.Float64s convert any floating-point dtype, and
// Tensor.Int64s converts any integer dtype.
//
// # Writing
//
// Encode and WriteFile order the data by element size, largest first, then
// by name, and pad the header with spaces to a multiple of 8 bytes, as the
// reference implementation does. Every element is then aligned to its size
// within the file, and equal input gives equal bytes.
//
// WriteFile is atomic: it writes a temporary file ".<name>.tmp-<random>" in
// the target's folder, fsyncs it, renames it over the target and fsyncs the
// folder. If the process is killed or the machine crashes at any point, the
// target holds either the previous content or the new content, each
// complete. A write that is interrupted before the rename can leave its
// temporary file behind. Read never opens such files, and they are safe to
// delete. The guarantee relies on rename being atomic within one folder, as
// POSIX requires of local file systems.
package safetensors
