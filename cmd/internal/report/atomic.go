package report

import (
	"bufio"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// writeFileAtomic replaces the file at path with the bytes that write
// produces. It writes a temporary file in the same folder, syncs it and
// renames it over path, so readers and crashes see either the old file or the
// complete new one. The temporary file is removed when any step fails. The
// new file gets mode 0644.
func writeFileAtomic(path string, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return errors.Wrapf(err, "create temporary file for %s (check that the folder exists and is writable)", path)
	}
	tmpPath := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpPath)
		}
	}()

	buffered := bufio.NewWriter(tmp)
	if err := write(buffered); err != nil {
		return err
	}
	if err := buffered.Flush(); err != nil {
		return errors.Wrapf(err, "write %s", tmpPath)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return errors.Wrapf(err, "set mode of %s", tmpPath)
	}
	if err := tmp.Sync(); err != nil {
		return errors.Wrapf(err, "sync %s", tmpPath)
	}
	if err := tmp.Close(); err != nil {
		return errors.Wrapf(err, "close %s", tmpPath)
	}
	if err := os.Rename(tmpPath, path); err != nil {
		return errors.Wrapf(err, "rename %s to %s", tmpPath, path)
	}

	// Sync the folder so that the rename itself survives a power loss.
	// Some systems cannot sync a folder, and the file is complete either
	// way, so a failure here is not reported.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
