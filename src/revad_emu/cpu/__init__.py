"""The emulated CPU: Unicorn set-up and run loop (`machine`), guest memory, raw Unicorn access,
instruction decoding, CPUID, ring-3 checks, guest threads, the VEX executor and process images.

Nothing here knows of derivatives: the AD layer (`revad_emu.ad`) attaches to a Machine's hooks.
"""
