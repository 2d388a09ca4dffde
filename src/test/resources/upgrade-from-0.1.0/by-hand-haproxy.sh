apt-get install -y haproxy ./lb-health-agent_0.1.0_all.deb   # Java 17, the unit, the user, /etc/haproxy/conf.d
cat > /etc/lb-health-agent/agent.yaml <<'YAML'
services:
  - name: rsync-ssh
    port: 9890                       # the pod's hostPort, probed on every node
    probe: { type: banner, expect: "SSH-2.0-", interval: 80ms, timeout: 60ms }   # as config/haproxy-seed.yaml
    nodes:
      - { name: copernicus, address: 172.16.17.253 }
      - { name: galileo,    address: 172.16.17.254 }
      - { name: newton,     address: 172.16.17.252 }
    lb:
      kind: haproxy
      file: /etc/haproxy/conf.d/rsync-ssh.cfg
      runtime-api: /run/haproxy/admin.sock   # in Debian's haproxy.cfg (group haproxy, level admin)
YAML
java -jar /usr/share/lb-health-agent/lb-health-agent.jar check-config /etc/lb-health-agent/agent.yaml
# HAProxy loads the agent's folder too, and a frontend sends port 30036 to the agent's backend.
echo 'CONFIG="/etc/haproxy/haproxy.cfg -f /etc/haproxy/conf.d"' >> /etc/default/haproxy
cat >> /etc/haproxy/haproxy.cfg <<'CFG'

frontend rsync-ssh
    bind :30036
    mode tcp
    option tcplog
    default_backend rsync-ssh
CFG
java -jar /usr/share/lb-health-agent/lb-health-agent.jar dry-run --write --config /etc/lb-health-agent/agent.yaml
systemctl restart haproxy
systemctl enable --now lb-health-agent      # returns once the first apply is done (READY)
