/* tiny MLP forward pass: softmax, logsumexp, tanh, relu via fmax; cross-entropy */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "revad.h"
#define NI 4
#define NH 6
#define NO 3
int main(int argc, char **argv) {
    double w[NH * NI + NO * NH];
    for (int i = 0; i < NH * NI + NO * NH; i++) w[i] = sin(1.3 * i + 0.2) * 0.7;
    double x[NI];
    for (int i = 0; i < NI; i++) x[i] = argc > i + 1 ? strtod(argv[i + 1], 0) : 0.1 * i;
    REVAD_INPUT_ARRAY(x, NI);
    double h[NH], o[NO];
    for (int j = 0; j < NH; j++) {
        double s = 0;
        for (int i = 0; i < NI; i++) s += w[j * NI + i] * x[i];
        h[j] = j % 2 ? tanh(s) : fmax(s, 0.01 * s);
    }
    double mx = -INFINITY;
    for (int k = 0; k < NO; k++) {
        double s = 0;
        for (int j = 0; j < NH; j++) s += w[NH * NI + k * NH + j] * h[j];
        o[k] = s;
        if (s > mx) mx = s;
    }
    double z = 0;
    for (int k = 0; k < NO; k++) z += exp(o[k] - mx);
    double lse = mx + log(z);
    double p[NO + 1];
    for (int k = 0; k < NO; k++) p[k] = exp(o[k] - lse);
    p[NO] = -log(p[1]);
    REVAD_OUTPUT_ARRAY(p, NO + 1);
    for (int k = 0; k <= NO; k++) printf("%.17g\n", p[k]);
    return 0;
}
