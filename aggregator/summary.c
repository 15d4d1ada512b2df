/* summary.c: see summary.h. */
#include "summary.h"

#include <stdlib.h>

void sv_snapshot_strip(Survey__V1__Snapshot *snap, bool keep_summary)
{
    if (!keep_summary) {
        for (size_t i = 0; i < snap->n_rates; i++)
            survey__v1__rate__free_unpacked(snap->rates[i], NULL);
        free(snap->rates);
        snap->rates = NULL;
        snap->n_rates = 0;
    }
    if (snap->matrix != NULL)
        survey__v1__matrix__free_unpacked(snap->matrix, NULL);
    snap->matrix = NULL;
    for (size_t i = 0; i < snap->n_frequencies; i++)
        survey__v1__frequency__free_unpacked(snap->frequencies[i], NULL);
    free(snap->frequencies);
    snap->frequencies = NULL;
    snap->n_frequencies = 0;
    for (size_t i = 0; i < snap->n_listings; i++)
        survey__v1__listing__free_unpacked(snap->listings[i], NULL);
    free(snap->listings);
    snap->listings = NULL;
    snap->n_listings = 0;
    for (size_t i = 0; i < snap->n_programs; i++)
        survey__v1__program__free_unpacked(snap->programs[i], NULL);
    free(snap->programs);
    snap->programs = NULL;
    snap->n_programs = 0;
    Survey__V1__Completeness *c = snap->completeness;
    if (c == NULL)
        return;
    if (!keep_summary) {
        survey__v1__completeness__free_unpacked(c, NULL);
        snap->completeness = NULL;
        return;
    }
    for (size_t i = 0; i < c->n_respondents; i++)
        survey__v1__respondent_status__free_unpacked(c->respondents[i], NULL);
    free(c->respondents);
    c->respondents = NULL;
    c->n_respondents = 0;
}

sv_status sv_summary_pack(const Survey__V1__Snapshot *snap, uint8_t **data,
                          size_t *len)
{
    /* a shallow copy that shares the header, rates and figures */
    Survey__V1__Snapshot summary = *snap;
    Survey__V1__Completeness completeness = SURVEY__V1__COMPLETENESS__INIT;
    summary.matrix = NULL;
    summary.frequencies = NULL;
    summary.n_frequencies = 0;
    summary.listings = NULL;
    summary.n_listings = 0;
    summary.programs = NULL;
    summary.n_programs = 0;
    if (snap->completeness != NULL) {
        completeness.figures = snap->completeness->figures;
        completeness.n_figures = snap->completeness->n_figures;
        summary.completeness = &completeness;
    }
    size_t n = survey__v1__snapshot__get_packed_size(&summary);
    uint8_t *buf = malloc(n > 0 ? n : 1);
    if (buf == NULL)
        return SV_ERR_NOMEM;
    survey__v1__snapshot__pack(&summary, buf);
    *data = buf;
    *len = n;
    return SV_OK;
}
