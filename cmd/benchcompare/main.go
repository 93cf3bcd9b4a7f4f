// Command benchcompare times ResNet-50 training steps and forward passes in this project and in
// PyTorch on the same machine, one after the other, and writes the table to docs/benchmarks.md.
//
//	go run ./cmd/benchcompare                 # all cases, 5 timed iterations each
//	go run ./cmd/benchcompare -iters 3 -out -  # print the table instead
//
// The Go side runs the project's Benchmark functions (package resnet) from a compiled test
// binary, once per timed iteration (-test.benchtime 1x -test.count N), so each iteration's time
// is known and the median can be taken. PyTorch runs docs/bench/torch_bench.py with Debian's
// python3-torch. Every case runs in its own child process, and the peak memory is that
// process's maximum resident set size as the kernel reports it.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"
)

type benchCase struct {
	Mode  string // "train" or "forward"
	Batch int
	Size  int
	Iters int // 0 means the -iters flag
}

func (c benchCase) goName() string {
	if c.Mode == "train" {
		return fmt.Sprintf("BenchmarkTrainStep50Batch%dSize%d", c.Batch, c.Size)
	}
	return fmt.Sprintf("BenchmarkForward50Batch%dSize%d", c.Batch, c.Size)
}

var cases = []benchCase{
	{"train", 32, 64, 0},
	{"train", 8, 224, 0},
	{"forward", 32, 64, 0},
	{"forward", 8, 224, 0},
	{"train", 32, 224, 2},
}

// result is one side of one case.
type result struct {
	Seconds []float64
	PeakRSS int64 // bytes
	Err     error
}

func (r result) median() float64 {
	if len(r.Seconds) == 0 {
		return 0
	}
	s := append([]float64(nil), r.Seconds...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func main() {
	iters := flag.Int("iters", 5, "timed iterations per case and side")
	python := flag.String("python", "/usr/bin/python3", "Python with PyTorch and torchvision (Debian: apt-get install python3-torch python3-torchvision)")
	out := flag.String("out", "docs/benchmarks.md", "file to write the table to (its section between the markers is replaced), or - for standard output")
	only := flag.String("only", "", "run only cases whose Go benchmark name contains this text")
	flag.Parse()

	dir, err := os.MkdirTemp("", "benchcompare")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "resnet.test")
	fmt.Fprintln(os.Stderr, "building the test binary ...")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fail(errors.Wrap(err, "go test -c"))
	}

	var rows []string
	for _, c := range cases {
		if *only != "" && !strings.Contains(c.goName(), *only) {
			continue
		}
		n := c.Iters
		if n == 0 {
			n = *iters
		}
		fmt.Fprintf(os.Stderr, "%s: Go ...\n", c.goName())
		goRes := runGo(bin, c, n)
		fmt.Fprintf(os.Stderr, "%s: PyTorch ...\n", c.goName())
		torchRes := runTorch(*python, c, n)
		rows = append(rows, tableRow(c, goRes, torchRes))
	}
	report := render(rows, *iters)
	if *out == "-" {
		fmt.Print(report)
		return
	}
	if err := replaceSection(*out, report); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s\n", *out)
}

var nsPerOp = regexp.MustCompile(`^Benchmark\S+\s+\d+\s+([0-9.]+) ns/op`)

// runGo runs one Go benchmark n times, one iteration each, in a single child process.
func runGo(bin string, c benchCase, n int) result {
	cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", "^"+c.goName()+"$",
		"-test.benchtime", "1x", "-test.count", strconv.Itoa(n))
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	res := result{}
	if err := cmd.Run(); err != nil {
		res.Err = errors.Wrapf(err, "%s", c.goName())
		return res
	}
	res.PeakRSS = peakRSS(cmd)
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if m := nsPerOp.FindStringSubmatch(sc.Text()); m != nil {
			ns, _ := strconv.ParseFloat(m[1], 64)
			res.Seconds = append(res.Seconds, ns/1e9)
		}
	}
	if len(res.Seconds) == 0 {
		res.Err = errors.Errorf("%s printed no ns/op lines:\n%s", c.goName(), stdout.String())
	}
	return res
}

func runTorch(python string, c benchCase, n int) result {
	cmd := exec.Command(python, "docs/bench/torch_bench.py", "--mode", c.Mode,
		"--batch", strconv.Itoa(c.Batch), "--size", strconv.Itoa(c.Size), "--iters", strconv.Itoa(n),
		"--threads", strconv.Itoa(runtime.NumCPU()))
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	res := result{}
	if err := cmd.Run(); err != nil {
		res.Err = errors.Wrap(err, "PyTorch")
		return res
	}
	res.PeakRSS = peakRSS(cmd)
	var parsed struct {
		Seconds []float64 `json:"seconds"`
		Torch   string    `json:"torch"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &parsed); err != nil {
		res.Err = errors.Wrapf(err, "PyTorch printed %q", stdout.String())
		return res
	}
	res.Seconds = parsed.Seconds
	torchVersion = parsed.Torch
	return res
}

var torchVersion = "unknown"

func peakRSS(cmd *exec.Cmd) int64 {
	if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return u.Maxrss * 1024 // Linux reports kilobytes
	}
	return 0
}

func tableRow(c benchCase, g, t result) string {
	label := fmt.Sprintf("%s, batch %d, %dx%d", map[string]string{"train": "training step", "forward": "inference"}[c.Mode], c.Batch, c.Size, c.Size)
	if g.Err != nil || t.Err != nil {
		return fmt.Sprintf("| %s | error: %v | error: %v | | | |", label, g.Err, t.Err)
	}
	gm, tm := g.median(), t.median()
	return fmt.Sprintf("| %s | %.0f ms (%.1f images/s) | %.0f ms (%.1f images/s) | %.2f | %.2f GB | %.2f GB | %.2f |",
		label, gm*1000, float64(c.Batch)/gm, tm*1000, float64(c.Batch)/tm, tm/gm,
		float64(g.PeakRSS)/1e9, float64(t.PeakRSS)/1e9, float64(g.PeakRSS)/float64(max(t.PeakRSS, 1)))
}

const (
	beginMarker = "<!-- benchcompare:begin -->"
	endMarker   = "<!-- benchcompare:end -->"
)

func render(rows []string, iters int) string {
	var b strings.Builder
	fmt.Fprintln(&b, beginMarker)
	fmt.Fprintf(&b, "Measured %s with `go run ./cmd/benchcompare -iters %d` on %s (%d CPUs, GOMAXPROCS %d, %s), PyTorch %s with %d threads.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), iters, cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), torchVersion, runtime.NumCPU())
	fmt.Fprintln(&b, "| case | this project (median) | PyTorch eager (median) | speed ratio (Go/PyTorch images/s) | peak memory, Go | peak memory, PyTorch | memory ratio |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintln(&b, r)
	}
	fmt.Fprintln(&b, endMarker)
	return b.String()
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			if i := strings.Index(line, ":"); i >= 0 {
				return strings.TrimSpace(line[i+1:])
			}
		}
	}
	return runtime.GOARCH
}

// replaceSection writes report between the markers of path, or appends it when the file has
// none.
func replaceSection(path, report string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	i, j := strings.Index(text, beginMarker), strings.Index(text, endMarker)
	if i >= 0 && j > i {
		text = text[:i] + report + text[j+len(endMarker)+1:]
	} else {
		text += "\n" + report
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchcompare:", err)
	os.Exit(1)
}
