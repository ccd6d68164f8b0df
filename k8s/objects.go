package k8s

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const (
	scenarioDir = "/etc/otasim"
	scenarioKey = "scenario.yaml"
	outDir      = "/out"
	tokenKey    = "admin-token"
	// The exit codes of a judged run (cmd/otasim): a verdict, not a
	// failure to retry.
	exitFail         = 3
	exitInconclusive = 4
)

// Render returns the run's objects, in the order to apply them.
func Render(c Config) ([]any, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	objs := []any{c.secret()}
	if c.ScenarioFile != nil {
		objs = append(objs, c.configMap())
	}
	if c.ReferenceServer {
		objs = append(objs, c.serverDeployment(), c.service("server", ServerPort))
	}
	objs = append(objs, c.service("collector", CollectorPort, MetricsPort), c.collectorJob(), c.shardsJob())
	return objs, nil
}

func ptr[T any](v T) *T { return &v }

func (c *Config) meta(part string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: c.name(part), Namespace: c.Namespace, Labels: c.labels(part)}
}

func (c *Config) labels(part string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "otasim", "app.kubernetes.io/instance": c.Name, "app.kubernetes.io/component": part}
}

func (c *Config) secret() *corev1.Secret {
	return &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: c.meta("admin"),
		Type: corev1.SecretTypeOpaque, Data: map[string][]byte{tokenKey: []byte(c.AdminToken)}}
}

func (c *Config) configMap() *corev1.ConfigMap {
	return &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: c.meta("scenario"),
		Data: map[string]string{scenarioKey: string(c.ScenarioFile)}}
}

func (c *Config) service(part string, ports ...int32) *corev1.Service {
	s := &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: c.meta(part),
		Spec: corev1.ServiceSpec{Selector: c.labels(part)}}
	for _, p := range ports {
		name := map[int32]string{CollectorPort: "collector", MetricsPort: "metrics", ServerPort: "http"}[p]
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: name, Port: p, TargetPort: intstr.FromInt32(p)})
	}
	return s
}

// tokenEnv gives the admin token to otasim (OTASIM_ADMIN_TOKEN).
func (c *Config) tokenEnv() corev1.EnvVar {
	return corev1.EnvVar{Name: "OTASIM_ADMIN_TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: c.name("admin")}, Key: tokenKey}}}
}

// memLimitEnv sets Go's soft memory limit to the container's memory
// request: the collector works harder as the heap nears it, so a shard
// whose fleet falls behind stays near its request instead of growing to
// twice its live heap and meeting the limit (docs/benchmarks.md, "Fleet
// scale").
func memLimitEnv() corev1.EnvVar {
	return corev1.EnvVar{Name: "GOMEMLIMIT", ValueFrom: &corev1.EnvVarSource{
		// In bytes, which GOMEMLIMIT reads as a plain number.
		ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.memory", Divisor: resource.MustParse("1")}}}
}

// container is otasim with args, the scenario and the run folder mounted.
func (c *Config) container(name string, args []string, cpu, memory resource.Quantity) corev1.Container {
	ct := corev1.Container{Name: name, Image: c.Image, Args: args, Env: []corev1.EnvVar{c.tokenEnv(), memLimitEnv()},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: memory},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: double(memory)},
		},
		VolumeMounts: []corev1.VolumeMount{{Name: "out", MountPath: outDir}},
		SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr(true), ReadOnlyRootFilesystem: ptr(true),
			AllowPrivilegeEscalation: ptr(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
	}
	if c.ScenarioFile != nil {
		ct.VolumeMounts = append(ct.VolumeMounts, corev1.VolumeMount{Name: "scenario", MountPath: scenarioDir, ReadOnly: true})
	}
	return ct
}

func double(q resource.Quantity) resource.Quantity {
	d := q.DeepCopy()
	d.Add(q)
	return d
}

func (c *Config) volumes() []corev1.Volume {
	v := []corev1.Volume{{Name: "out", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	if c.ScenarioFile != nil {
		v = append(v, corev1.Volume{Name: "scenario", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: c.name("scenario")}}}})
	}
	return v
}

// verdictsEndTheJob: a run's exit code 3 (FAIL) or 4 (INCONCLUSIVE) is
// its verdict, so the Job ends there (failed, for kubectl wait and CI)
// instead of running again; an error (1) is retried.
func verdictsEndTheJob(container string) *batchv1.PodFailurePolicy {
	return &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
		Action: batchv1.PodFailurePolicyActionFailJob,
		OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{ContainerName: ptr(container),
			Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{exitFail, exitInconclusive}},
	}}}
}

func (c *Config) collectorJob() *batchv1.Job {
	args := append([]string{"collect", c.scenarioArg(), "--shards", strconv.Itoa(c.Shards),
		"--listen", "0.0.0.0:" + strconv.Itoa(CollectorPort), "--metrics-addr", "0.0.0.0:" + strconv.Itoa(MetricsPort),
		"--target", c.target(), "--out", outDir + "/run", "--no-history", "--quiet", "--json"}, c.RunArgs...)
	ct := c.container("collector", args, resource.MustParse("500m"), resource.MustParse("256Mi"))
	ct.Ports = []corev1.ContainerPort{{Name: "collector", ContainerPort: CollectorPort}, {Name: "metrics", ContainerPort: MetricsPort}}
	ct.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(CollectorPort)}}}
	pod := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: c.labels("collector"), Annotations: map[string]string{
		"prometheus.io/scrape": "true", "prometheus.io/port": strconv.Itoa(MetricsPort)}},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{ct}, Volumes: c.volumes(),
			SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr(int64(65532)), RunAsGroup: ptr(int64(65532)), FSGroup: ptr(int64(65532))}}}
	return &batchv1.Job{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"}, ObjectMeta: c.meta("collector"),
		Spec: batchv1.JobSpec{BackoffLimit: ptr(int32(0)), PodFailurePolicy: verdictsEndTheJob("collector"), Template: pod}}
}

// shardsJob is the Indexed Job of shards: completions = parallelism = N,
// every pod started together (the collector gives them one start). A
// shard pod that fails is tried once more: a retry before the start
// rejoins the run, one after it is refused by the collector (it cannot
// join the clock), and the run is INCONCLUSIVE naming the shard.
func (c *Config) shardsJob() *batchv1.Job {
	n := int32(c.Shards)
	args := append([]string{"run", c.scenarioArg(), "--shards", strconv.Itoa(c.Shards), "--target", c.target(),
		"--collector", c.collectorURL(), "--out", outDir + "/shard", "--no-history", "--quiet"}, c.RunArgs...)
	ct := c.container("shard", args, resource.MustParse("1"), c.shardMemory())
	pod := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: c.labels("shard")},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{ct}, Volumes: c.volumes(),
			SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr(int64(65532)), RunAsGroup: ptr(int64(65532)), FSGroup: ptr(int64(65532))},
			// Spread the shards over the nodes: each is a host's load.
			TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "kubernetes.io/hostname",
				WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: &metav1.LabelSelector{MatchLabels: c.labels("shard")}}}}}
	return &batchv1.Job{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"}, ObjectMeta: c.meta("shards"),
		Spec: batchv1.JobSpec{CompletionMode: ptr(batchv1.IndexedCompletion), Completions: ptr(n), Parallelism: ptr(n),
			BackoffLimitPerIndex: ptr(int32(1)), MaxFailedIndexes: ptr(n), Template: pod}}
}

func (c *Config) serverDeployment() *appsv1.Deployment {
	args := []string{"serve", "--addr", "0.0.0.0:" + strconv.Itoa(ServerPort), "--db", outDir + "/otasim.db",
		"--public-url", c.target(), "--clock-from", c.collectorURL(), "--log-format", "json"}
	ct := c.container("server", args, resource.MustParse("1"), resource.MustParse("512Mi"))
	ct.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: ServerPort}}
	ct.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(ServerPort)}}}
	pod := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: c.labels("server")},
		Spec: corev1.PodSpec{Containers: []corev1.Container{ct}, Volumes: c.volumes(),
			SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr(int64(65532)), RunAsGroup: ptr(int64(65532)), FSGroup: ptr(int64(65532))}}}
	return &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: c.meta("server"),
		Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(1)), Selector: &metav1.LabelSelector{MatchLabels: c.labels("server")},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}, Template: pod}}
}
