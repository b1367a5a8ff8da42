/*
 * Part of the Node-API addon (addon.c includes it after its argument helpers):
 * bpf(2) for the cgroup v2 device programs: load, attach, query.
 */
#ifndef OCIRUN_ADDON_BPF_H
#define OCIRUN_ADDON_BPF_H

/*
 * bpfProgLoad(type, insns: Uint8Array, license, log: Uint8Array) -> fd | -errno (close-on-exec).
 * A non-empty `log` receives the verifier's log (NUL-terminated), for the error message.
 */
/*
 * The parts of the kernel's union bpf_attr these calls use (uapi linux/bpf.h, a stable ABI):
 * declared here because C libraries without the kernel's headers (musl) have no linux/bpf.h.
 * The kernel takes a shorter attr and reads the rest as zero.
 */
enum { OCIRUN_BPF_PROG_LOAD = 5, OCIRUN_BPF_PROG_ATTACH = 8, OCIRUN_BPF_PROG_QUERY = 16 };
union ocirun_bpf_attr {
	struct {
		uint32_t prog_type, insn_cnt;
		uint64_t insns, license;
		uint32_t log_level, log_size;
		uint64_t log_buf;
	} load;
	struct {
		uint32_t target_fd, attach_bpf_fd, attach_type, attach_flags;
	} attach;
	struct {
		uint32_t target_fd, attach_type, query_flags, attach_flags;
		uint64_t prog_ids;
		uint32_t prog_cnt;
	} query;
	uint8_t size[128];
};

static napi_value bpf_prog_load(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	char license[64];
	int32_t type;
	size_t argc = 4;
	napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
	if (argc != 4 || napi_get_value_int32(env, argv[0], &type) != napi_ok)
		return fail_type(env, "bpfProgLoad", "expected (type, insns, license, log)");
	void *insns, *log;
	size_t insns_len, log_len, license_len;
	napi_typedarray_type t1, t2;
	if (napi_get_typedarray_info(env, argv[1], &t1, &insns_len, &insns, NULL, NULL) != napi_ok || t1 != napi_uint8_array ||
	    napi_get_typedarray_info(env, argv[3], &t2, &log_len, &log, NULL, NULL) != napi_ok || t2 != napi_uint8_array)
		return fail_type(env, "bpfProgLoad", "insns and log must be Uint8Arrays");
	if (napi_get_value_string_utf8(env, argv[2], license, sizeof(license), &license_len) != napi_ok)
		return fail_type(env, "bpfProgLoad", "expected a license string");
	if (insns_len % 8 != 0 || insns_len == 0)
		return fail_type(env, "bpfProgLoad", "insns must be whole 8-byte instructions");
	union ocirun_bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.load.prog_type = (uint32_t)type;
	attr.load.insns = (uint64_t)(uintptr_t)insns;
	attr.load.insn_cnt = (uint32_t)(insns_len / 8);
	attr.load.license = (uint64_t)(uintptr_t)license;
	if (log_len > 0) {
		attr.load.log_level = 1;
		attr.load.log_buf = (uint64_t)(uintptr_t)log;
		attr.load.log_size = (uint32_t)log_len;
	}
	return number(env, result(syscall(SYS_bpf, OCIRUN_BPF_PROG_LOAD, &attr, sizeof(attr))));
}

/* bpfProgAttach(targetFd, progFd, attachType, flags) -> 0 | -errno */
static napi_value bpf_prog_attach(napi_env env, napi_callback_info info)
{
	INT_ARGS("bpfProgAttach", 4);
	union ocirun_bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.attach.target_fd = (uint32_t)i[0];
	attr.attach.attach_bpf_fd = (uint32_t)i[1];
	attr.attach.attach_type = (uint32_t)i[2];
	attr.attach.attach_flags = (uint32_t)i[3];
	return number(env, result(syscall(SYS_bpf, OCIRUN_BPF_PROG_ATTACH, &attr, sizeof(attr))));
}

/* bpfProgQuery(targetFd, attachType) -> [prog ids] | -errno: the programs attached to a cgroup. */
static napi_value bpf_prog_query(napi_env env, napi_callback_info info)
{
	INT_ARGS("bpfProgQuery", 2);
	uint32_t ids[64];
	union ocirun_bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)i[0];
	attr.query.attach_type = (uint32_t)i[1];
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = 64;
	if (syscall(SYS_bpf, OCIRUN_BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
		return number(env, -errno);
	double out[64];
	uint32_t n = attr.query.prog_cnt < 64 ? attr.query.prog_cnt : 64;
	for (uint32_t k = 0; k < n; k++)
		out[k] = ids[k];
	return numbers(env, out, n);
}

#endif
