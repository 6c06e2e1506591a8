package kafkaconf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig"
	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

// config is a service configuration with a kafka section.
type config struct {
	Kafka struct {
		Conn  `yaml:",inline"`
		Group string `yaml:"group"`
	} `yaml:"kafka"`
}

// files writes the shared fixture files into dir: among them a CA
// certificate (ca.pem), a client certificate and key (client.pem,
// client.key), and a file that holds no PEM (text.txt).
var files = svcconfigtest.WriteFiles

// load writes text as service.yaml beside the fixture files and loads
// it, failing on decoding problems; it returns the directory too.
func load(t *testing.T, text string) (*config, string) {
	t.Helper()
	dir := t.TempDir()
	files(t, dir)
	path := filepath.Join(dir, "service.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &config{}
	if err := svcconfig.Load(path, c, svcconfig.Options{}); err != nil {
		t.Fatal(err)
	}
	return c, dir
}
