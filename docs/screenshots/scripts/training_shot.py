"""The README's picture of the Training panel: spirals trained for a few hundred steps.

python docs/screenshots/scripts/training_shot.py OUT.png [STEPS]
"""

import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(out: str, steps: int = 600) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    from workbench.ui.app import create_application
    from workbench.ui.main_window import MainWindow

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WORKBENCH_SETTINGS"] = os.path.join(tmp, "settings.ini")
        os.environ["WORKBENCH_RECOVERY_DIR"] = os.path.join(tmp, "recovery")
        app = create_application()
        window = MainWindow()
        window.resize(2000, 1100)
        window.show()
        window.docks["training"].raise_()
        panel = window.training
        panel.start()
        loop = QEventLoop()
        poll = QTimer()
        poll.timeout.connect(lambda: len(panel.current_run.history.steps) >= steps and loop.quit())
        poll.start(50)
        QTimer.singleShot(120_000, loop.quit)
        loop.exec()
        panel.pause()
        for _ in range(20):  # let the coalesced redraws catch up
            app.processEvents()
            QTimer.singleShot(50, loop.quit)
            loop.exec()
        window.docks["training"].grab().save(out)
        panel.stop()
        window.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 600)
