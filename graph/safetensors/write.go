package safetensors

import (
	"os"
	"path/filepath"
	"runtime"

	"github.com/pkg/errors"
)

// testHookBeforeRename, when set by a test, runs after the temporary file is
// complete and synced and before it is renamed over the target.
var testHookBeforeRename func(tempPath string)

// WriteFile writes tensors and metadata to path atomically, in the format
// and order that Encode describes.
//
// It writes a temporary file named ".<base>.tmp-<random>" in the folder of
// path, fsyncs it, renames it over path and fsyncs the folder. A crash or
// kill at any step leaves path either absent or holding the old or the new
// content, complete. A crash before the rename can leave the temporary file
// behind. Read never opens it, and it is safe to delete.
//
// A new file gets mode 0644, and a replaced file keeps its mode. If path is
// a symbolic link, the link itself is replaced by the new file.
func WriteFile(path string, tensors []*Tensor, metadata map[string]string) error {
	if err := writeFileAtomic(path, tensors, metadata); err != nil {
		return errors.Wrapf(err, "write safetensors file %s", path)
	}
	return nil
}

func writeFileAtomic(path string, tensors []*Tensor, metadata map[string]string) (err error) {
	plan, err := planFile(tensors, metadata)
	if err != nil {
		return err
	}

	mode := os.FileMode(0o644)
	if info, statErr := os.Lstat(path); statErr == nil {
		if info.IsDir() {
			return errors.New("path is a folder; pass a file path")
		}
		if info.Mode().IsRegular() {
			mode = info.Mode().Perm()
		}
	}

	dir := filepath.Dir(path)
	temp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return errors.Wrap(err, "create temporary file")
	}
	tempPath := temp.Name()
	renamed := false
	defer func() {
		if !renamed {
			// Best effort: the write already failed, and a leftover
			// temporary file does not affect readers.
			_ = temp.Close()
			_ = os.Remove(tempPath)
		}
	}()

	if err := plan.writeTo(temp); err != nil {
		return errors.Wrapf(err, "write temporary file %s", tempPath)
	}
	if err := temp.Chmod(mode); err != nil {
		return errors.Wrapf(err, "set mode of temporary file %s", tempPath)
	}
	if err := temp.Sync(); err != nil {
		return errors.Wrapf(err, "sync temporary file %s", tempPath)
	}
	if err := temp.Close(); err != nil {
		return errors.Wrapf(err, "close temporary file %s", tempPath)
	}

	if testHookBeforeRename != nil {
		testHookBeforeRename(tempPath)
	}
	if err := os.Rename(tempPath, path); err != nil {
		return errors.Wrapf(err, "rename temporary file %s over the target", tempPath)
	}
	renamed = true

	// The rename is durable only once the folder entry is on disk.
	if err := syncDir(dir); err != nil {
		return errors.Wrapf(err, "file was replaced but syncing folder %s failed, so after a power loss the old file may reappear", dir)
	}
	return nil
}

// syncDir fsyncs a folder so that a rename inside it survives a crash.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		// NOTE: Windows cannot open a folder for fsync through os.Open, so
		// there the rename's durability is left to the file system.
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	syncErr := d.Sync()
	closeErr := d.Close()
	if syncErr != nil {
		return syncErr
	}
	return closeErr
}
