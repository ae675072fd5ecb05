// SPDX-License-Identifier: GPL-2.0
/*
 * sw_kwriter: a kernel writer for splicewatch's tests (docs/content-checks.md).
 *
 * The 2026 page-cache bugs were kernel code writing in place into pages a
 * pipe got from splice. Every Debian kernel the tests boot carries their
 * fixes, so this module plays the writer, on request, through
 * /proc/sw_kwriter (root only, mode 0200):
 *
 *   "write FD AT"  byte AT of the first buffer of pipe FD (of the writing
 *                  task) set to 'X', through the kernel's own mapping of the
 *                  page: no fault, no dirtying, nothing a write hook sees.
 *   "aead FD"      the first buffer's bytes encrypted in place (dst == src)
 *                  by the kernel crypto API: AES-GCM (gcm(aes)), the last 16
 *                  bytes taking the tag.
 *   "skcipher FD"  the same bytes encrypted in place by AES-CTR (ctr(aes)),
 *                  a skcipher request.
 *   "aead_bh FD"   "aead FD" from a softirq (a tasklet run by local_bh_enable
 *                  in the writing task, which the softirq interrupts: the
 *                  task current there did not ask for the write); -EAGAIN if
 *                  the kernel left the tasklet to ksoftirqd instead.
 *   "aead_sock FD" "aead FD" on the first page fragment of the first packet
 *                  queued on socket FD: pages a pipe handed on to a socket
 *                  (ESP and RxRPC decrypt skb frags in place so).
 *   "own"          the same two writes, into a page of the module's own.
 *   "bench N"      N AES-CTR requests in place on 64 bytes of a page of its
 *                  own; "bench_file FD N" on 64 bytes of the first page of
 *                  file FD (its page cache, not held; a file the caller has
 *                  open for writing is not reported). The mean ns a request
 *                  goes to the kernel log: "sw_kwriter: bench N ns/request
 *                  T" (bench/vm-crypto.sh).
 *
 * A write returns its length, or the error (-EBADF: FD is not a pipe;
 * -ENOTSOCK: not a socket; -ENODATA: the pipe or queue is empty). Built against the booted kernel's headers
 * by tests/vm/kmod.sh; never loaded on the host.
 */
#include <crypto/aead.h>
#include <crypto/skcipher.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/pagemap.h>
#include <linux/skbuff.h>
#include <linux/pipe_fs_i.h>
#include <linux/proc_fs.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#define TAG_LEN 16

/* Made at load: a request then takes no time to set up (the test's change
 * lands right before the pipe is read, as the other ways' do). */
static struct crypto_aead *tfm;
static struct crypto_skcipher *ctr;

/* AES-GCM in place over len bytes of page at offset: len - 16 bytes of
 * ciphertext, then the tag. */
static int aead_in_place(struct page *page, unsigned int offset, unsigned int len)
{
	u8 iv[12] = { 0 };
	struct aead_request *req;
	struct scatterlist sg;
	DECLARE_CRYPTO_WAIT(wait);
	int err;

	if (len <= TAG_LEN)
		return -EINVAL;
	req = aead_request_alloc(tfm, GFP_KERNEL);
	if (!req) {
		return -ENOMEM;
	}
	sg_init_table(&sg, 1);
	sg_set_page(&sg, page, len, offset);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP, crypto_req_done, &wait);
	aead_request_set_crypt(req, &sg, &sg, len - TAG_LEN, iv);
	aead_request_set_ad(req, 0);
	err = crypto_wait_req(crypto_aead_encrypt(req), &wait);
	aead_request_free(req);
	return err;
}

/* AES-CTR in place over len bytes of page at offset. */
static int skcipher_in_place(struct page *page, unsigned int offset, unsigned int len)
{
	u8 iv[16] = { 0 };
	struct skcipher_request *req = skcipher_request_alloc(ctr, GFP_KERNEL);
	struct scatterlist sg;
	DECLARE_CRYPTO_WAIT(wait);
	int err;

	if (!req)
		return -ENOMEM;
	sg_init_table(&sg, 1);
	sg_set_page(&sg, page, len, offset);
	skcipher_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP, crypto_req_done, &wait);
	skcipher_request_set_crypt(req, &sg, &sg, len, iv);
	err = crypto_wait_req(crypto_skcipher_encrypt(req), &wait);
	skcipher_request_free(req);
	return err;
}

/* aead_bh: the range, and what the tasklet made of it. */
static struct {
	struct page *page;
	unsigned int offset, len;
	int err;
	bool ran;
} bh;

static void aead_in_softirq(struct tasklet_struct *t)
{
	u8 iv[12] = { 0 };
	struct aead_request *req = aead_request_alloc(tfm, GFP_ATOMIC);
	struct scatterlist sg;

	bh.ran = true;
	if (!req) {
		bh.err = -ENOMEM;
		return;
	}
	sg_init_table(&sg, 1);
	sg_set_page(&sg, bh.page, bh.len, bh.offset);
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_crypt(req, &sg, &sg, bh.len - TAG_LEN, iv);
	aead_request_set_ad(req, 0);
	/* gcm(aes) of the generic modules is synchronous. */
	bh.err = crypto_aead_encrypt(req);
	aead_request_free(req);
}

static DECLARE_TASKLET(aead_tasklet, aead_in_softirq);

static int aead_bh(struct page *page, unsigned int offset, unsigned int len)
{
	if (len <= TAG_LEN)
		return -EINVAL;
	bh.page = page;
	bh.offset = offset;
	bh.len = len;
	bh.err = 0;
	bh.ran = false;
	local_bh_disable();
	tasklet_schedule(&aead_tasklet);
	local_bh_enable();
	if (!bh.ran) {
		tasklet_kill(&aead_tasklet);
		return -EAGAIN;
	}
	return bh.err;
}

static void set_byte(struct page *page, unsigned int at)
{
	u8 *p = kmap_local_page(page);

	p[at] = 'X';
	kunmap_local(p);
	flush_dcache_page(page);
}

enum pipe_write { WRITE_BYTE, AEAD, SKCIPHER, AEAD_BH };

/* "write FD AT", "aead FD", "skcipher FD" and "aead_bh FD" on the first
 * buffer of the pipe FD names. */
static int on_pipe(int fd, enum pipe_write how, unsigned int at)
{
	struct pipe_inode_info *pipe;
	struct pipe_buffer *buf;
	struct file *file = fget(fd);
	int err = 0;

	if (!file)
		return -EBADF;
	if (!S_ISFIFO(file_inode(file)->i_mode) || !file->private_data) {
		fput(file);
		return -EBADF;
	}
	pipe = file->private_data;
	pipe_lock(pipe);
	if (pipe_empty(pipe->head, pipe->tail)) {
		err = -ENODATA;
	} else {
		buf = &pipe->bufs[pipe->tail & (pipe->ring_size - 1)];
		if (how == AEAD)
			err = aead_in_place(buf->page, buf->offset, buf->len);
		else if (how == SKCIPHER)
			err = skcipher_in_place(buf->page, buf->offset, buf->len);
		else if (how == AEAD_BH)
			err = aead_bh(buf->page, buf->offset, buf->len);
		else if (at >= buf->len)
			err = -EINVAL;
		else
			set_byte(buf->page, buf->offset + at);
	}
	pipe_unlock(pipe);
	fput(file);
	return err;
}

/* "aead_sock FD": the first page fragment of the first packet socket FD
 * has queued to be read, encrypted in place. */
static int on_socket(int fd)
{
	struct sk_buff_head *queue;
	struct page *page = NULL;
	unsigned int offset = 0, len = 0;
	struct socket *sock;
	struct sk_buff *skb;
	unsigned long flags;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	queue = &sock->sk->sk_receive_queue;
	spin_lock_irqsave(&queue->lock, flags);
	skb = skb_peek(queue);
	if (skb && skb_shinfo(skb)->nr_frags) {
		skb_frag_t *frag = &skb_shinfo(skb)->frags[0];

		page = skb_frag_page(frag);
		offset = skb_frag_off(frag);
		len = skb_frag_size(frag);
		get_page(page);
	}
	spin_unlock_irqrestore(&queue->lock, flags);
	sockfd_put(sock);
	if (!page)
		return -ENODATA;
	err = aead_in_place(page, offset, len);
	put_page(page);
	return err;
}

static int on_own_page(void)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	int err;

	if (!page)
		return -ENOMEM;
	set_byte(page, 100);
	err = aead_in_place(page, 0, PAGE_SIZE);
	__free_page(page);
	return err;
}

/* "bench N" (file NULL) and "bench_file FD N": n requests timed. */
static int bench(struct file *file, unsigned int n)
{
	struct page *page;
	u64 t0, ns;
	int err = 0;

	if (file)
		page = read_mapping_page(file->f_mapping, 0, file);
	else
		page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (IS_ERR_OR_NULL(page))
		return page ? PTR_ERR(page) : -ENOMEM;
	t0 = ktime_get_ns();
	for (unsigned int i = 0; i < n && !err; i++)
		err = skcipher_in_place(page, 0, 64);
	ns = ktime_get_ns() - t0;
	if (file)
		put_page(page);
	else
		__free_page(page);
	if (!err && n)
		pr_info("sw_kwriter: bench %u ns/request %llu\n", n, div_u64(ns, n));
	return err;
}

static int bench_file(int fd, unsigned int n)
{
	struct file *file = fget(fd);
	int err;

	if (!file)
		return -EBADF;
	err = S_ISREG(file_inode(file)->i_mode) ? bench(file, n) : -EINVAL;
	fput(file);
	return err;
}

static ssize_t sw_kwriter_write(struct file *f, const char __user *ubuf, size_t len, loff_t *pos)
{
	unsigned int at = 0;
	char cmd[32];
	int fd, err;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';
	if (sscanf(cmd, "write %d %u", &fd, &at) == 2)
		err = on_pipe(fd, WRITE_BYTE, at);
	else if (sscanf(cmd, "aead_bh %d", &fd) == 1)
		err = on_pipe(fd, AEAD_BH, 0);
	else if (sscanf(cmd, "aead_sock %d", &fd) == 1)
		err = on_socket(fd);
	else if (sscanf(cmd, "aead %d", &fd) == 1)
		err = on_pipe(fd, AEAD, 0);
	else if (sscanf(cmd, "skcipher %d", &fd) == 1)
		err = on_pipe(fd, SKCIPHER, 0);
	else if (!strncmp(cmd, "own", 3))
		err = on_own_page();
	else if (sscanf(cmd, "bench_file %d %u", &fd, &at) == 2)
		err = bench_file(fd, at);
	else if (sscanf(cmd, "bench %u", &at) == 1)
		err = bench(NULL, at);
	else
		err = -EINVAL;
	return err ? err : len;
}

static const struct proc_ops sw_kwriter_ops = {
	.proc_write = sw_kwriter_write,
	.proc_lseek = noop_llseek,
};

static int __init sw_kwriter_init(void)
{
	static const u8 key[16] = "sw_kwriter key!";
	int err;

	tfm = crypto_alloc_aead("gcm(aes)", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	ctr = crypto_alloc_skcipher("ctr(aes)", 0, 0);
	if (IS_ERR(ctr)) {
		crypto_free_aead(tfm);
		return PTR_ERR(ctr);
	}
	err = crypto_aead_setkey(tfm, key, sizeof(key));
	if (!err)
		err = crypto_aead_setauthsize(tfm, TAG_LEN);
	if (!err)
		err = crypto_skcipher_setkey(ctr, key, sizeof(key));
	if (!err && !proc_create("sw_kwriter", 0200, NULL, &sw_kwriter_ops))
		err = -ENOMEM;
	if (err) {
		crypto_free_skcipher(ctr);
		crypto_free_aead(tfm);
	}
	return err;
}

static void __exit sw_kwriter_exit(void)
{
	remove_proc_entry("sw_kwriter", NULL);
	tasklet_kill(&aead_tasklet);
	crypto_free_skcipher(ctr);
	crypto_free_aead(tfm);
}

module_init(sw_kwriter_init);
module_exit(sw_kwriter_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("splicewatch tests: writes in place into pages a pipe holds");
