/*
 * bcryptprimitives.dll for Wine older than 8.13, which lacks it: Rust's
 * standard library (1.78 and later) takes its random numbers from
 * ProcessPrng in this DLL, so without it no Rust program starts under
 * Debian's Wine 8.0. This is CI tooling for the Wine round trip
 * (tests/tests/wine.rs); real Windows 10 and later have the DLL. ProcessPrng
 * is answered with RtlGenRandom (advapi32's SystemFunction036), which every
 * Wine has.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
