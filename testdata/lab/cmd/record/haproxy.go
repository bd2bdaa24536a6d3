package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// haproxy is Debian's HAProxy terminating TLS (h2) in front of the app's
// instances with its layer-7 retries: on a response timeout it sends the
// buffered request, a form_post callback included, to another server
// (retry-on response-timeout, option redispatch).
type haproxy struct {
	cmd     *exec.Cmd
	dir     string
	log     *os.File
	done    chan error
	stopped bool
}

var haproxyConf = template.Must(template.New("haproxy").Parse(`# traceaudit fixture lab: HAProxy in front of two app instances
global
    log stdout format raw local0 info
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 30s
    timeout server {{.ReadTimeout}}
    retries 1
    option redispatch 1
    retry-on response-timeout
    option http-buffer-request
frontend app
    bind 127.0.0.1:{{.Port}} ssl crt {{.Dir}}/site.pem alpn h2,http/1.1
    http-request set-header X-Forwarded-Proto https
    default_backend instances
backend instances
    balance roundrobin
{{range .Instances}}    server {{.Name}} 127.0.0.1:{{.Port}}
{{end}}`))

func startHAProxy(ctx context.Context, work string, front *endpoint, instances []*endpoint, cert tls.Certificate) (*haproxy, error) {
	dir := filepath.Join(work, "haproxy")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := pemOf(cert)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "site.pem"), append(certPEM, keyPEM...), 0o600); err != nil {
		return nil, err
	}
	type server struct {
		Name string
		Port int
	}
	var ports []server
	for i, inst := range instances {
		// named as the app's log names them
		ports = append(ports, server{fmt.Sprintf("instance%d", i+1), inst.Port})
	}
	var conf strings.Builder
	if err := haproxyConf.Execute(&conf, map[string]any{"Dir": dir, "Port": front.Port, "Instances": ports,
		"ReadTimeout": strconv.Itoa(int(proxyReadTimeout.Seconds())) + "s"}); err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o600); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "access.log"))
	if err != nil {
		return nil, err
	}
	front.ln.Close() // hand the port over: the lab's listener only reserved it
	cmd := exec.Command("haproxy", "-db", "-f", confPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start haproxy: %w", err)
	}
	h := &haproxy{cmd: cmd, dir: dir, log: logFile, done: make(chan error, 1)}
	go func() { h.done <- cmd.Wait() }()
	if err := waitListening(ctx, front.Port, h.done); err != nil {
		h.stopped = true
		_ = cmd.Process.Kill()
		b, _ := os.ReadFile(logFile.Name())
		return nil, fmt.Errorf("haproxy: %w: %s", err, lastLines(string(b), 5))
	}
	return h, nil
}

// stop ends HAProxy (SIGUSR1: soft stop, finishing what it serves).
func (h *haproxy) stop() error {
	if h.stopped {
		return nil
	}
	h.stopped = true
	_ = h.cmd.Process.Signal(syscall.SIGUSR1)
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
	}
	return h.log.Close()
}

func (h *haproxy) accessLog() []string {
	b, _ := os.ReadFile(filepath.Join(h.dir, "access.log"))
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		// request lines only (HAProxy's start-up notices are not)
		if strings.Contains(l, `"`) {
			out = append(out, redactLogLine(l))
		}
	}
	return out
}
