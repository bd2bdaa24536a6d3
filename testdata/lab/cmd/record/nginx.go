package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// reverseProxy is a real proxy program the lab runs in front of the app's
// instances.
type reverseProxy interface {
	stop() error
	// accessLog is the proxy's own account of each request: which
	// instance it went to, and the retries.
	accessLog() []string
}

// nginx is Debian's nginx run as a TLS-terminating reverse proxy in front
// of the app's instances, configured the way a retrying load balancer is:
// a short read timeout and proxy_next_upstream including non_idempotent,
// so a callback POST that the first instance answers slowly is sent again
// to the next instance.
type nginx struct {
	cmd     *exec.Cmd
	dir     string
	done    chan error
	stopped bool
}

// proxyReadTimeout is the proxy's patience with an instance; the slow
// instance takes longer.
const proxyReadTimeout = 2 * time.Second

var nginxConf = template.Must(template.New("nginx").Parse(`# traceaudit fixture lab: nginx in front of two app instances
daemon off;
master_process on;
worker_processes 1;
user root;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log info;
events { worker_connections 64; }
http {
    client_body_temp_path {{.Dir}}/body;
    proxy_temp_path {{.Dir}}/proxy;
    fastcgi_temp_path {{.Dir}}/fastcgi;
    uwsgi_temp_path {{.Dir}}/uwsgi;
    scgi_temp_path {{.Dir}}/scgi;
    log_format lab '$time_iso8601 "$request_method $uri" $status upstream=[$upstream_addr] upstream_status=[$upstream_status] upstream_time=[$upstream_response_time] request_time=$request_time';
    access_log {{.Dir}}/access.log lab;
    upstream app {
{{range .Instances}}        server 127.0.0.1:{{.}} max_fails=0;
{{end}}    }
    server {
        listen 127.0.0.1:{{.Port}} ssl http2;
        server_name {{.Host}};
        ssl_certificate {{.Dir}}/cert.pem;
        ssl_certificate_key {{.Dir}}/key.pem;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout {{.ReadTimeout}};
            proxy_next_upstream error timeout non_idempotent;
        }
    }
}
`))

// startNginx serves front (its port is handed from the lab's listener to
// nginx) and proxies to instances.
func startNginx(ctx context.Context, work string, front *endpoint, instances []*endpoint, cert tls.Certificate) (*nginx, error) {
	dir := filepath.Join(work, "nginx")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := pemOf(cert)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
		return nil, err
	}
	var ports []int
	for _, inst := range instances {
		ports = append(ports, inst.Port)
	}
	var conf strings.Builder
	if err := nginxConf.Execute(&conf, map[string]any{"Dir": dir, "Port": front.Port, "Host": front.Host, "Instances": ports,
		"ReadTimeout": strconv.Itoa(int(proxyReadTimeout.Seconds())) + "s"}); err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o600); err != nil {
		return nil, err
	}
	// hand the port over: the lab's listener only reserved it
	front.ln.Close()
	cmd := exec.Command("nginx", "-p", dir, "-c", confPath)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	n := &nginx{cmd: cmd, dir: dir, done: make(chan error, 1)}
	go func() { n.done <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(loopback, strconv.Itoa(front.Port)), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return n, nil
		}
		select {
		case err := <-n.done:
			n.stopped = true
			return nil, fmt.Errorf("nginx exited: %v: %s", err, n.errorLog())
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = n.stop()
			return nil, errors.New("nginx did not listen within 10s: " + n.errorLog())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pemOf is the run's throwaway certificate and key for a proxy's files
// (in the scratch directory, never in a fixture).
func pemOf(cert tls.Certificate) (certPEM, keyPEM []byte, err error) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("proxy key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// waitListening waits until port accepts connections or done reports the
// process's end.
func waitListening(ctx context.Context, port int, done <-chan error) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(loopback, strconv.Itoa(port)), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-done:
			return fmt.Errorf("exited: %v", err)
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.New("not listening within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var logCode = regexp.MustCompile(`([?&]code=)([^&\s"]+)`)

// redactLogLine replaces an authorization code in a logged URL by its
// fingerprint, as everywhere in expect.json.
func redactLogLine(l string) string {
	return logCode.ReplaceAllStringFunc(l, func(m string) string {
		sub := logCode.FindStringSubmatch(m)
		return sub[1] + codeFingerprint(sub[2])
	})
}

// stop ends nginx gracefully (SIGQUIT) and waits for it.
func (n *nginx) stop() error {
	if n.stopped {
		return nil
	}
	n.stopped = true
	_ = n.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
	return nil
}

func (n *nginx) errorLog() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "error.log"))
	return lastLines(string(b), 5)
}

// accessLog is nginx's own account of each request: which instance it went
// to, and the retry (two upstream addresses, the first timed out).
func (n *nginx) accessLog() []string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "access.log"))
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			out = append(out, redactLogLine(l))
		}
	}
	return out
}
