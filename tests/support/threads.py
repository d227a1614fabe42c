"""Calls made at the same moment, from threads released together."""
import threading


def all_at_once(calls, timeout=120):
    """Run the calls in threads released together; their answers, in order."""
    barrier, answers = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        barrier.wait()
        answers[index] = call()
    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return answers
