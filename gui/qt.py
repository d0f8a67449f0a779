"""The one place PySide6 is imported (as qutebrowser's qutebrowser/qt/): swap or pin bindings here."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QByteArray, QObject, QSettings, QSize, Qt, QThread, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QFont, QFontDatabase, QGuiApplication, QImage, QKeySequence
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

__all__ = [
    "QAbstractItemView", "QApplication", "QButtonGroup", "QByteArray", "QCheckBox", "QComboBox", "QDesktopServices",
    "QFileDialog", "QFont", "QFontDatabase", "QFormLayout", "QFrame", "QGridLayout", "QGroupBox", "QGuiApplication",
    "QHBoxLayout", "QHeaderView", "QImage", "QInputDialog", "QKeySequence", "QLabel", "QLineEdit", "QListWidget",
    "QListWidgetItem",
    "QMessageBox", "QObject", "QPlainTextEdit", "QProgressBar", "QPushButton", "QRadioButton", "QSettings", "QSize",
    "QSpinBox", "QSplitter", "QSvgWidget", "QTextBrowser", "QThread", "QTimer", "QTreeWidget", "QTreeWidgetItem",
    "QUrl",
    "QVBoxLayout", "QWidget", "QWizard", "QWizardPage", "Qt", "QtCore", "QtGui", "QtWidgets", "Signal", "Slot",
]
