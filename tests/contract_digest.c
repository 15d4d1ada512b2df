/* contract_digest.c: see contract_digest.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "contract_digest.h"

#include <sodium.h>
#include <stdlib.h>

void sv_contract_digest(const Survey__V1__Snapshot *snap, uint8_t out[32])
{
    Survey__V1__Snapshot copy = *snap;

    copy.version = 0;
    copy.sequence = 0;
    copy.created_ms = 0;
    copy.digest.len = 0;
    copy.digest.data = NULL;
    copy.trigger = NULL;
    size_t len = survey__v1__snapshot__get_packed_size(&copy);
    uint8_t *buf = malloc(len + 1);
    assert_non_null(buf);
    assert_int_equal(survey__v1__snapshot__pack(&copy, buf), len);
    assert_true(sodium_init() >= 0);
    assert_int_equal(crypto_generichash(out, 32, buf, len, NULL, 0), 0);
    free(buf);
}
