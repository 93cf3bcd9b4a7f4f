package safetensors

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// versionTensors returns a checkpoint whose content identifies version:
// every byte of "payload" equals the version modulo 256, and the metadata
// repeats it.
func versionTensors(version, payloadBytes int) ([]*Tensor, map[string]string) {
	payload := bytes.Repeat([]byte{byte(version)}, payloadBytes)
	tensors := []*Tensor{
		U8("payload", []int{payloadBytes}, payload),
		I64("version", nil, []int64{int64(version)}),
	}
	return tensors, map[string]string{"version": strconv.Itoa(version)}
}

// checkVersionFile reads path and returns its version, or an error if the
// file is unreadable or its content is not one complete version.
func checkVersionFile(path string, payloadBytes int) (int, error) {
	file, err := Read(path)
	if err != nil {
		return 0, err
	}
	version, err := strconv.Atoi(file.Metadata["version"])
	if err != nil {
		return 0, fmt.Errorf("metadata version %q: %v", file.Metadata["version"], err)
	}
	counts, err := file.Tensors["version"].Int64s()
	if err != nil || len(counts) != 1 || counts[0] != int64(version) {
		return 0, fmt.Errorf("version tensor %v (error %v), want [%d]", counts, err, version)
	}
	want := bytes.Repeat([]byte{byte(version)}, payloadBytes)
	if !bytes.Equal(file.Tensors["payload"].Data, want) {
		return 0, fmt.Errorf("payload of version %d is not all %#02x", version, byte(version))
	}
	return version, nil
}

// tempFiles lists the temporary files that WriteFile left in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return matches
}

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	oldTensors, oldMetadata := versionTensors(1, 1000)
	if err := WriteFile(path, oldTensors, oldMetadata); err != nil {
		t.Fatal(err)
	}

	var hookRan bool
	testHookBeforeRename = func(tempPath string) {
		hookRan = true
		// At this point a kill would leave both files behind: the target
		// must still be the old version, and the temporary file must
		// already be the complete new version.
		if got, err := checkVersionFile(path, 1000); err != nil || got != 1 {
			t.Errorf("target before rename: got version %d (error %v), want 1", got, err)
		}
		if got, err := checkVersionFile(tempPath, 1000); err != nil || got != 2 {
			t.Errorf("temporary file before rename: got version %d (error %v), want 2", got, err)
		}
		if filepath.Dir(tempPath) != dir {
			t.Errorf("got temporary file in %s, want the target's folder %s", filepath.Dir(tempPath), dir)
		}
	}
	defer func() { testHookBeforeRename = nil }()

	newTensors, newMetadata := versionTensors(2, 1000)
	if err := WriteFile(path, newTensors, newMetadata); err != nil {
		t.Fatal(err)
	}
	if !hookRan {
		t.Fatal("got no call of the rename hook, want one")
	}
	if got, err := checkVersionFile(path, 1000); err != nil || got != 2 {
		t.Errorf("target after WriteFile: got version %d (error %v), want 2", got, err)
	}
	if leftover := tempFiles(t, dir); len(leftover) != 0 {
		t.Errorf("got temporary files %v after a successful write, want none", leftover)
	}
}

func TestStrayTempFileDoesNotAffectRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	tensors, metadata := versionTensors(1, 100)
	if err := WriteFile(path, tensors, metadata); err != nil {
		t.Fatal(err)
	}
	// A killed writer leaves a partial temporary file like this one.
	stray := filepath.Join(dir, ".ckpt.safetensors.tmp-123456")
	if err := os.WriteFile(stray, []byte{0x10, 0, 0}, 0o600); err != nil {
		t.Fatal(err)
	}

	if got, err := checkVersionFile(path, 100); err != nil || got != 1 {
		t.Errorf("Read with a stray temporary file: got version %d (error %v), want 1", got, err)
	}
	tensors, metadata = versionTensors(2, 100)
	if err := WriteFile(path, tensors, metadata); err != nil {
		t.Fatalf("WriteFile with a stray temporary file: %v", err)
	}
	if got, err := checkVersionFile(path, 100); err != nil || got != 2 {
		t.Errorf("after rewrite: got version %d (error %v), want 2", got, err)
	}
	if _, err := os.Stat(stray); err != nil {
		t.Errorf("stray temporary file: got %v, want it left in place for its owner", err)
	}
}

// killEnv names the environment variables that turn TestKilledWriterHelper
// into a writer process for the kill tests.
const (
	killEnvPath = "SAFETENSORS_KILL_TEST_PATH"
	killEnvMode = "SAFETENSORS_KILL_TEST_MODE"
)

const killPayloadBytes = 4 << 20

// TestKilledWriterHelper is the writer process of the kill tests. It does
// nothing in a normal test run.
func TestKilledWriterHelper(t *testing.T) {
	path := os.Getenv(killEnvPath)
	if path == "" {
		t.Skip("runs only as a child process of the kill tests")
	}
	switch os.Getenv(killEnvMode) {
	case "before-rename":
		// Kill this process at the last moment before the rename.
		testHookBeforeRename = func(string) {
			self, err := os.FindProcess(os.Getpid())
			if err == nil {
				err = self.Kill()
			}
			t.Fatalf("got no kill (error %v), want this process killed", err)
		}
		tensors, metadata := versionTensors(2, killPayloadBytes)
		_ = WriteFile(path, tensors, metadata)
		t.Fatal("got past WriteFile, want this process killed before the rename")
	case "loop":
		// Write versions 1, 2, 3, ... until the parent kills this process.
		for version := 1; ; version++ {
			tensors, metadata := versionTensors(version, killPayloadBytes)
			if err := WriteFile(path, tensors, metadata); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// startWriter runs TestKilledWriterHelper in a child process.
func startWriter(t *testing.T, path, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), killEnvPath+"="+path, killEnvMode+"="+mode)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatalf("start writer process: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("writer process output:\n%s", output.String())
		}
	})
	return cmd
}

func TestWriterKilledBeforeRename(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	tensors, metadata := versionTensors(1, killPayloadBytes)
	if err := WriteFile(path, tensors, metadata); err != nil {
		t.Fatal(err)
	}

	cmd := startWriter(t, path, "before-rename")
	err := cmd.Wait()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("writer process: got exit %v, want killed", err)
	}

	if got, err := checkVersionFile(path, killPayloadBytes); err != nil || got != 1 {
		t.Errorf("target after the kill: got version %d (error %v), want the old version 1", got, err)
	}
	leftover := tempFiles(t, dir)
	if len(leftover) != 1 {
		t.Fatalf("got temporary files %v, want the one the killed writer left", leftover)
	}
	// The leftover is the complete new version that was never renamed.
	if got, err := checkVersionFile(leftover[0], killPayloadBytes); err != nil || got != 2 {
		t.Errorf("leftover temporary file: got version %d (error %v), want 2", got, err)
	}
	tensors, metadata = versionTensors(3, killPayloadBytes)
	if err := WriteFile(path, tensors, metadata); err != nil {
		t.Fatalf("WriteFile after the kill: %v", err)
	}
	if got, err := checkVersionFile(path, killPayloadBytes); err != nil || got != 3 {
		t.Errorf("target after rewrite: got version %d (error %v), want 3", got, err)
	}
}

// TestWriterKilledAtRandomTimes kills a process that rewrites the file in
// a loop at random moments, and checks that each kill leaves one complete
// version. Each round starts a new writer at version 1.
func TestWriterKilledAtRandomTimes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	tensors, metadata := versionTensors(0, killPayloadBytes)
	if err := WriteFile(path, tensors, metadata); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewSource(1))
	const rounds = 8
	for round := range rounds {
		cmd := startWriter(t, path, "loop")
		// Child start-up takes tens of milliseconds, and one 4 MiB write
		// with fsync takes a few more, so kills land at varied steps.
		time.Sleep(time.Duration(30+rng.Intn(300)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatalf("round %d: kill writer: %v", round, err)
		}
		_ = cmd.Wait() // The exit status is "killed" by design.

		version, err := checkVersionFile(path, killPayloadBytes)
		if err != nil {
			t.Fatalf("round %d: target after the kill: %v", round, err)
		}
		t.Logf("round %d: target holds complete version %d, %d temporary files left", round, version, len(tempFiles(t, dir)))
	}
}

func TestWriteFileRejectsInvalidInput(t *testing.T) {
	valid := F32("w", []int{1}, []float32{1})
	tests := []struct {
		name     string
		tensors  []*Tensor
		metadata map[string]string
		want     string
	}{
		{"nil tensor", []*Tensor{valid, nil}, nil, "tensors[1] is nil"},
		{"empty name", []*Tensor{F32("", []int{1}, []float32{1})}, nil, "tensors[0]: tensor has an empty name"},
		{"duplicate name", []*Tensor{valid, F32("w", []int{1}, []float32{2})}, nil, `tensor "w" appears twice`},
		{"reserved name", []*Tensor{F32("__metadata__", []int{1}, []float32{1})}, nil, "reserved for the metadata map"},
		{"invalid UTF-8 name", []*Tensor{F32("w\xff", []int{1}, []float32{1})}, nil, "not valid UTF-8"},
		{"unsupported dtype", []*Tensor{{Name: "w", Dtype: "C64", Shape: []int{1}, Data: make([]byte, 8)}}, nil, `unsupported dtype "C64"`},
		{"data length mismatch", []*Tensor{F32("fc.bias", []int{3}, []float32{1, 2})}, nil, `tensor "fc.bias": shape [3] of dtype F32 needs 12 bytes but Data has 8`},
		{"negative dimension", []*Tensor{{Name: "w", Dtype: DtypeU8, Shape: []int{2, -1}}}, nil, "dimension 1 is negative"},
		{"invalid UTF-8 metadata", []*Tensor{valid}, map[string]string{"k": "\xfe"}, `metadata key "k" or its value is not valid UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.safetensors")
			err := WriteFile(path, tt.tensors, tt.metadata)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("got error %q, want it to name the file", err)
			}
			entries, readErr := os.ReadDir(dir)
			if readErr != nil || len(entries) != 0 {
				t.Errorf("got folder entries %v (error %v), want an empty folder", entries, readErr)
			}
		})
	}
}

func TestWriteFilePathErrors(t *testing.T) {
	dir := t.TempDir()
	tensors := []*Tensor{F32("w", []int{1}, []float32{1})}
	tests := []struct {
		name string
		path string
		want string
	}{
		{"folder as target", dir, "path is a folder"},
		{"missing folder", filepath.Join(dir, "absent", "out.safetensors"), "create temporary file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteFile(tt.path, tensors, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestWriteFileMode(t *testing.T) {
	dir := t.TempDir()
	tensors := []*Tensor{F32("w", []int{1}, []float32{1})}

	t.Run("new file", func(t *testing.T) {
		path := filepath.Join(dir, "new.safetensors")
		if err := WriteFile(path, tensors, nil); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != 0o644 {
			t.Errorf("got mode %v, want -rw-r--r--", got)
		}
	})
	t.Run("replaced file keeps mode", func(t *testing.T) {
		path := filepath.Join(dir, "private.safetensors")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, tensors, nil); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("got mode %v, want -rw-------", got)
		}
	})
}
