package msk

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// arn is the ARN of a cluster resource of the policy's placeholders.
const arn = "arn:aws:kafka:REGION:ACCOUNT:"

// acl is one of the stack's SECURE_ACLS lines.
type acl struct{ user, kind, prefix string }

// need is an MSK action an ACL operation needs, on the ACL's resource or,
// for the group ReadData joins, on a group.
type need struct{ action, resource string }

// readACLs reads SECURE_ACLS from deploy/local/stack.sh, one need per
// MSK action each operation requires: the operation's own action and the
// actions MSK's documentation lists as required with it.
func readACLs(t *testing.T) (map[need][]acl, int) {
	t.Helper()
	b, err := os.ReadFile("../local/stack.sh")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)\nSECURE_ACLS=\((.*?)\n\)`).FindSubmatch(b)
	if block == nil {
		t.Fatal("no SECURE_ACLS in deploy/local/stack.sh")
	}
	line := regexp.MustCompile(`^\t"([a-z-]+)\|(topic|group)\|([^|]+)\|prefixed\|([A-Za-z,]+)"$`)
	needs := map[need][]acl{}
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(string(block[1])), "\n") {
		m := line.FindStringSubmatch("\t" + strings.TrimSpace(l))
		if m == nil {
			t.Fatalf("SECURE_ACLS line %q: want user|topic or group|name|prefixed|operations", l)
		}
		a := acl{user: m[1], kind: m[2], prefix: m[3]}
		res := arn + m[2] + "/CLUSTER/CLUSTER-UUID/" + a.prefix + "x"
		for _, op := range strings.Split(m[4], ",") {
			n++
			var actions []string
			switch a.kind + " " + op {
			case "topic Describe":
				actions = []string{"DescribeTopic"}
			case "topic Read":
				actions = []string{"ReadData", "DescribeTopic"}
			case "topic Write":
				actions = []string{"WriteData", "DescribeTopic"}
			case "topic Create":
				actions = []string{"CreateTopic"}
			case "topic DescribeConfigs":
				actions = []string{"DescribeTopicDynamicConfiguration"}
			case "group Read":
				actions = []string{"AlterGroup", "DescribeGroup"}
			default:
				t.Fatalf("SECURE_ACLS: no MSK action known for %s %s; add it here and to iam-policy.json", a.kind, op)
			}
			for _, act := range actions {
				needs[need{"kafka-cluster:" + act, res}] = append(needs[need{"kafka-cluster:" + act, res}], a)
			}
			needs[need{"kafka-cluster:Connect", arn + "cluster/CLUSTER/CLUSTER-UUID"}] = append(needs[need{"kafka-cluster:Connect", arn + "cluster/CLUSTER/CLUSTER-UUID"}], a)
		}
	}
	return needs, n
}

// statement is one statement of an IAM policy; Action and Resource may
// be a string or a list.
type statement struct {
	Sid      string
	Effect   string
	Action   stringList
	Resource stringList
}

type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = []string{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(s))
}

// matches reports whether an IAM resource pattern (* for any run of
// characters) matches the resource.
func matches(pattern, resource string) bool {
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	return regexp.MustCompile(re).MatchString(resource)
}

// TestPolicyGrantsTheACLs checks iam-policy.json against the ACLs the
// secured end-to-end test proves sufficient: every action they need is
// allowed on its resource, and every action and resource of the policy
// is needed by one of them.
func TestPolicyGrantsTheACLs(t *testing.T) {
	t.Parallel()
	needs, ops := readACLs(t)
	if ops < 10 {
		t.Fatalf("only %d ACL operations read from SECURE_ACLS", ops)
	}
	b, err := os.ReadFile("iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Version   string
		Statement []statement
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&policy); err != nil || policy.Version != "2012-10-17" || len(policy.Statement) == 0 {
		t.Fatalf("iam-policy.json: %v %+v", err, policy)
	}
	used := map[[2]string]bool{} // action, resource pattern
	for n, who := range needs {
		granted := false
		for _, st := range policy.Statement {
			if st.Effect != "Allow" || !slices.Contains(st.Action, n.action) {
				continue
			}
			for _, r := range st.Resource {
				if matches(r, n.resource) {
					granted = true
					used[[2]string{n.action, r}] = true
				}
			}
		}
		if !granted {
			t.Errorf("%s on %s (for %s) is not allowed", n.action, n.resource, who[0].user)
		}
	}
	for _, st := range policy.Statement {
		for _, a := range st.Action {
			for _, r := range st.Resource {
				if !used[[2]string{a, r}] {
					t.Errorf("statement %s allows %s on %s, which no ACL needs", st.Sid, a, r)
				}
			}
		}
	}
}

// TestReadmeShowsThePolicy checks that the README shows iam-policy.json
// as it is.
func TestReadmeShowsThePolicy(t *testing.T) {
	t.Parallel()
	policy, err := os.ReadFile("iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```json\n"+string(policy)+"```\n") {
		t.Error("README.md does not show deploy/msk/iam-policy.json as it is, in a json block")
	}
}
