// Package images checks the service images that deploy/docker builds: what
// the Dockerfiles promise, read off the built images. `make test-images`
// runs it after `make images`; elsewhere it is skipped unless
// SFSYNC_TEST_IMAGES=1.
package images

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// services are the four binaries, each with an image of its own name.
var services = []string{"sfsync-producer", "sfsync-consumer", "sfsync-reconciler", "sfemu"}

// image returns the name of service's image: sfsync/<service>:<tag>, the
// tag from SFSYNC_IMAGE_TAG (default latest).
func image(service string) string {
	tag := os.Getenv("SFSYNC_IMAGE_TAG")
	if tag == "" {
		tag = "latest"
	}
	return "sfsync/" + service + ":" + tag
}

func docker(t *testing.T, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("docker", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

func requireImages(t *testing.T) {
	t.Helper()
	if os.Getenv("SFSYNC_TEST_IMAGES") != "1" {
		t.Skip("the image checks run with SFSYNC_TEST_IMAGES=1, after the images are built: make test-images")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Fatalf("SFSYNC_TEST_IMAGES=1 but no Docker engine answers (deploy/docker/engine.sh up): %v", err)
	}
}

// config is the part of `docker image inspect` the checks read.
type config struct {
	User       string
	Entrypoint []string
	Labels     map[string]string
}

func TestServiceImages(t *testing.T) {
	requireImages(t)
	for _, svc := range services {
		t.Run(svc, func(t *testing.T) {
			img := image(svc)
			var inspect []struct{ Config config }
			if err := json.Unmarshal(docker(t, "image", "inspect", img), &inspect); err != nil || len(inspect) != 1 {
				t.Fatalf("inspect %s: %v (%d results)", img, err, len(inspect))
			}
			cfg := inspect[0].Config
			if cfg.User == "" || cfg.User == "0" || strings.HasPrefix(cfg.User, "root") || strings.HasPrefix(cfg.User, "0:") {
				t.Errorf("user %q: the image must run as a non-root user", cfg.User)
			}
			bin := "/usr/local/bin/" + svc
			if len(cfg.Entrypoint) != 1 || cfg.Entrypoint[0] != bin {
				t.Errorf("entrypoint %q, want [%s]", cfg.Entrypoint, bin)
			}
			version, revision := cfg.Labels["org.opencontainers.image.version"], cfg.Labels["org.opencontainers.image.revision"]
			if version == "" || revision == "" || cfg.Labels["org.opencontainers.image.title"] != svc {
				t.Errorf("OCI labels %v: want title %s and a version and revision", cfg.Labels, svc)
			}

			// --version on a read-only root, with no capabilities, prints
			// what the labels say.
			out := string(docker(t, "run", "--rm", "--read-only", "--cap-drop", "ALL",
				"--security-opt", "no-new-privileges", img, "--version"))
			if !strings.HasPrefix(out, svc+" "+version+" (revision "+revision) {
				t.Errorf("--version printed %q; the labels say version %s, revision %s", out, version, revision)
			}

			// The binary is static, and the CA certificates are there.
			id := strings.TrimSpace(string(docker(t, "create", img)))
			t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", id).Run() })
			if f := fileFrom(t, id, bin); isDynamic(t, f) {
				t.Errorf("%s is dynamically linked; the runtime image has no libc", bin)
			}
			if pem := fileFrom(t, id, "/etc/ssl/certs/ca-certificates.crt"); !bytes.Contains(pem, []byte("BEGIN CERTIFICATE")) {
				t.Errorf("/etc/ssl/certs/ca-certificates.crt holds no certificate (%d bytes)", len(pem))
			}
		})
	}
}

// fileFrom returns the content of the file at path in container id.
func fileFrom(t *testing.T, id, path string) []byte {
	t.Helper()
	r := tar.NewReader(bytes.NewReader(docker(t, "cp", "-L", id+":"+path, "-")))
	if _, err := r.Next(); err != nil {
		t.Fatalf("%s in the image: %v", path, err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s in the image: %v", path, err)
	}
	return b
}

// isDynamic reports whether the ELF executable b asks for a dynamic loader.
func isDynamic(t *testing.T, b []byte) bool {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not an ELF executable: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}
