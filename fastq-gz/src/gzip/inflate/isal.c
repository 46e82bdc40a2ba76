/* Raw inflate with ISA-L that stops at a deflate block end when asked (see isal.rs).
 *
 * ISA-L has no Z_BLOCK. It ends decoding after a block whose header set BFINAL, so to stop at
 * the end of the block being decoded we set `bfinal` ourselves (`forced`), then reset the
 * state and go on from the bits already read, with the window as dictionary. The fields
 * touched here are those of `struct inflate_state` in igzip_lib.h; keeping this in C lets the
 * compiler check them against the installed header. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <isa-l/igzip_lib.h>

struct chunkwise_isal {
    struct inflate_state state;
    /* bfinal was set by us: the block's end is a stop, not the stream's end. */
    int forced;
};

struct chunkwise_isal_step {
    uint32_t consumed;
    uint32_t produced;
    /* 0, or an ISA-L error code. */
    int32_t status;
    /* Stopped at a block end that is not the stream's (1), or at the stream's end (2). */
    int32_t stop;
    /* Bits of consumed input not yet decoded (read ahead, or a partial header). */
    uint32_t pending_bits;
};

struct chunkwise_isal *chunkwise_isal_new(void)
{
    struct chunkwise_isal *inflate = calloc(1, sizeof *inflate);
    if (inflate != NULL) {
        isal_inflate_init(&inflate->state);
        inflate->state.crc_flag = ISAL_DEFLATE;
    }
    return inflate;
}

void chunkwise_isal_free(struct chunkwise_isal *inflate)
{
    free(inflate);
}

/* Starts a new deflate stream: after `bits` bits of `value` (the low bits first), with
 * `window` as the output before it. */
int32_t chunkwise_isal_start(struct chunkwise_isal *inflate, const uint8_t *window,
                             uint32_t window_length, uint32_t bits, uint64_t value)
{
    struct inflate_state *state = &inflate->state;
    isal_inflate_reset(state);
    inflate->forced = 0;
    if (window_length > 0) {
        int status = isal_inflate_set_dict(state, (uint8_t *)window, window_length);
        if (status != COMP_OK)
            return status;
    }
    state->read_in = value;
    state->read_in_length = (int32_t)bits;
    return 0;
}

/* Goes on after a forced stop: the bits read ahead stay, the window is the output before. */
int32_t chunkwise_isal_continue(struct chunkwise_isal *inflate, const uint8_t *window,
                                uint32_t window_length)
{
    struct inflate_state *state = &inflate->state;
    uint64_t value = state->read_in;
    uint32_t bits = (uint32_t)state->read_in_length;
    return chunkwise_isal_start(inflate, window, window_length, bits, value);
}

static int between_blocks(const struct inflate_state *state)
{
    return state->block_state == ISAL_BLOCK_NEW_HDR || state->block_state == ISAL_BLOCK_HDR;
}

/* Inflates `input` into `output`. With `stop_after` >= 0: once that many bytes are produced,
 * stops at the end of the current block (at once when between blocks). */
void chunkwise_isal_inflate(struct chunkwise_isal *inflate, const uint8_t *input,
                            uint32_t input_length, uint8_t *output, uint32_t output_length,
                            int64_t stop_after, struct chunkwise_isal_step *step)
{
    struct inflate_state *state = &inflate->state;
    uint32_t first = output_length;
    int status = ISAL_DECOMP_OK;

    memset(step, 0, sizeof *step);
    if (stop_after >= 0 && (uint64_t)stop_after < output_length)
        first = (uint32_t)stop_after;
    state->next_in = (uint8_t *)input;
    state->avail_in = input_length;
    state->next_out = output;
    state->avail_out = first;
    if (first > 0 && state->block_state != ISAL_BLOCK_FINISH)
        status = isal_inflate(state);
    if (status >= ISAL_DECOMP_OK && stop_after >= 0 && state->avail_out == 0
        && state->block_state != ISAL_BLOCK_FINISH) {
        if (!inflate->forced && between_blocks(state)) {
            step->stop = 1;
        } else {
            if (!inflate->forced && !state->bfinal
                && (state->block_state == ISAL_BLOCK_CODED
                    || state->block_state == ISAL_BLOCK_TYPE0)) {
                state->bfinal = 1;
                inflate->forced = 1;
            }
            state->avail_out = output_length - first;
            if (state->avail_out > 0)
                status = isal_inflate(state);
        }
    }
    if (status > 0)
        status = ISAL_DECOMP_OK; /* end of input or output: not errors */
    if (status == ISAL_DECOMP_OK && state->block_state == ISAL_BLOCK_FINISH)
        step->stop = inflate->forced ? 1 : 2;
    step->status = status;
    step->consumed = input_length - state->avail_in;
    step->produced = (uint32_t)(state->next_out - output);
    step->pending_bits = (uint32_t)state->read_in_length + 8u * (uint32_t)state->tmp_in_size;
    state->next_in = NULL;
    state->next_out = NULL;
}
