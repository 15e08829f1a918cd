"""Set-up step: compile the numba kernels of memelite (neuronmotif's TOMTOM) and of modisco-lite (the
benchmark's baseline) once, so later runs and timed benchmarks start fast. Run by ``make``."""

from nmbench.warmup import warm_up_modisco

from neuronmotif.warmup import warm_up

if __name__ == "__main__":
    print(f"memelite TOMTOM kernels ready ({warm_up():.1f} s)")
    seconds = warm_up_modisco()
    if seconds is not None:
        print(f"modisco-lite kernels ready ({seconds:.1f} s)")
